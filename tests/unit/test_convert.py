"""The converter: correct GGUF from a checkpoint, clear errors and no partial file on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop_app.engine.convert import ConversionError, convert_checkpoint
from desktop_app.engine.models import inspect_gguf
from tests.helpers.checkpoints import write_tiny_bert


@pytest.mark.parametrize("outtype", ["f32", "f16", "q8_0"])
def test_converts_tiny_bert(tmp_path: Path, outtype: str) -> None:
    folder = write_tiny_bert(tmp_path / "tiny")
    result = convert_checkpoint(folder, tmp_path / "out" / "tiny.gguf", outtype=outtype)
    assert result.tensors == 5 + 16 * 2
    info = inspect_gguf(result.path)
    assert (info.architecture, info.dimension, info.window, info.pooling) == (
        "bert",
        32,
        48,
        "mean",
    )


def test_cls_pooling_is_carried(tmp_path: Path) -> None:
    folder = write_tiny_bert(tmp_path / "tiny", pooling="cls")
    result = convert_checkpoint(folder, tmp_path / "tiny.gguf")
    assert inspect_gguf(result.path).pooling == "cls"


@pytest.mark.parametrize(
    "missing", ["config.json", "vocab.txt", "model.safetensors", "1_Pooling/config.json"]
)
def test_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    folder = write_tiny_bert(tmp_path / "tiny")
    (folder / missing).unlink()
    with pytest.raises(ConversionError, match=missing.replace(".", r"\.")):
        convert_checkpoint(folder, tmp_path / "out" / "x.gguf")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_non_bert_config_is_refused(tmp_path: Path) -> None:
    folder = write_tiny_bert(tmp_path / "tiny")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "roberta"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConversionError, match="only BERT"):
        convert_checkpoint(folder, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_truncated_weights_leave_no_partial_gguf(tmp_path: Path) -> None:
    folder = write_tiny_bert(tmp_path / "tiny")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ConversionError, match="truncated"):
        convert_checkpoint(folder, out / "x.gguf")
    assert list(out.iterdir()) == []


def test_not_a_folder_and_garbage_weights(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="not a folder"):
        convert_checkpoint(tmp_path / "nope", tmp_path / "x.gguf")
    folder = write_tiny_bert(tmp_path / "tiny")
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ConversionError, match="safetensors"):
        convert_checkpoint(folder, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def test_vocab_size_mismatch(tmp_path: Path) -> None:
    folder = write_tiny_bert(tmp_path / "tiny")
    with (folder / "vocab.txt").open("a") as fh:
        fh.write("extra\n")
    with pytest.raises(ConversionError, match="vocab"):
        convert_checkpoint(folder, tmp_path / "x.gguf")


def test_existing_destination_survives_failed_conversion(tmp_path: Path) -> None:
    good = write_tiny_bert(tmp_path / "good")
    dest = tmp_path / "model.gguf"
    convert_checkpoint(good, dest)
    before = dest.read_bytes()
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    (bad / "model.safetensors").write_bytes(b"junk")
    with pytest.raises(ConversionError):
        convert_checkpoint(bad, dest)
    assert dest.read_bytes() == before
