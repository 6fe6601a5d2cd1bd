"""`desktop-search self-test`: the check that installers run against the frozen app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app import paths, selftest
from desktop_app.cli import main
from desktop_app.engine.models import InstalledModel


def test_self_test_indexes_and_finds_every_sample(
    default_model: InstalledModel, app_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["self-test"]) == 0
    report = json.loads(capsys.readouterr().out)
    samples = sorted(p.name for p in selftest.sample_dir().iterdir())
    assert {".pdf", ".docx", ".html", ".md", ".txt"} <= {Path(s).suffix for s in samples}
    assert report["ok"] is True
    assert report["frozen"] is False
    assert report["model"] == default_model.id
    assert report["index"]["indexed"] == len(samples)
    assert report["index"]["failed"] == 0
    assert [s["top"] for s in report["searches"]] == [p.expected for p in selftest.PROBES]
    assert {p.expected for p in selftest.PROBES} == set(samples)  # every sample is probed
    # The scanned letter has no text layer: only OCR finds its words, on the right page.
    (scanned,) = [s for s in report["searches"] if s["expected"] == "Scanned letter.pdf"]
    assert scanned["top_page"] == scanned["page"] == 2
    assert report["doctor"] == {"ok": True, "problems": []}
    assert Path(report["data_dir"]) == app_home  # the data dir the user chose


def test_self_test_without_a_data_dir_leaves_nothing_behind(
    default_model: InstalledModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(paths.HOME_ENV)
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "user"))
    report = selftest.run_self_test()
    assert report["ok"] is True
    assert not Path(report["data_dir"]).exists()
    assert paths.home_override() is None
    assert not (tmp_path / "user").exists()


def test_self_test_fails_when_a_sample_is_not_found(
    default_model: InstalledModel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial = tmp_path / "samples"
    partial.mkdir()
    for name in ("Sourdough bread.md", "Server runbook.txt"):
        (partial / name).write_bytes((selftest.sample_dir() / name).read_bytes())
    monkeypatch.setattr(selftest, "sample_dir", lambda: partial)
    assert main(["self-test"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["index"]["indexed"] == 2
    missing = [s for s in report["searches"] if not s["ok"]]
    assert {s["expected"] for s in missing} == {p.expected for p in selftest.PROBES} - {
        "Sourdough bread.md",
        "Server runbook.txt",
    }
