"""The CLI skeleton: version, models commands, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import __version__, paths
from desktop_app.cli import main
from desktop_app.engine.models import InstalledModel
from tests.helpers.checkpoints import write_chat_gguf, write_tiny_bert


def test_version_in_a_subprocess(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"desktop-search {__version__}"


def test_models_list_json(
    capsys: pytest.CaptureFixture[str], default_model: InstalledModel
) -> None:
    assert main(["models", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    default = [m for m in listed if m["default"]]
    assert len(default) == 1
    assert default[0]["id"] == "all-MiniLM-L6-v2"
    assert default[0]["path"] == str(default_model.path)
    assert {"id", "path", "dimension", "window", "size", "default"} <= set(default[0])


def test_models_import_then_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_tiny_bert(tmp_path / "mini")
    assert main(["--data-dir", str(tmp_path / "d"), "models", "import", str(folder)]) == 0
    assert "installed mini.F16" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "d"), "models", "list", "--json"]) == 0
    ids = [m["id"] for m in json.loads(capsys.readouterr().out)]
    assert "mini.F16" in ids
    assert (tmp_path / "d" / "data" / "models" / "mini.F16.gguf").is_file()


def test_models_add_refusal_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = write_chat_gguf(tmp_path / "chat.gguf")
    assert main(["models", "add", str(chat)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("desktop-search: error:") and "text-generation" in err
    assert "\n" not in err
    assert main(["models", "add", str(tmp_path / "absent.gguf")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert not paths.user_models_dir().exists()


def test_models_download_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "download", "nonsense"]) == 1
    assert "unknown model" in capsys.readouterr().err


def test_models_import_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "import", str(tmp_path)]) == 1
    assert "missing config.json" in capsys.readouterr().err
