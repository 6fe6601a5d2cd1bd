"""Opening a result whose file name is not UTF-8, and showing such a name."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop_app.engine import pathnames
from desktop_app.engine.search import FileHit
from desktop_app.ui.opener import open_externally
from desktop_app.ui.widgets.results import ResultsModel


@pytest.fixture
def latin1_file(tmp_path: Path) -> tuple[str, bytes]:
    raw = os.fsencode(tmp_path) + b"/facture n\xb03 \xe9t\xe9.txt"
    with open(raw, "wb") as fh:
        fh.write(b"Invoice for the summer.\n")
    return pathnames.key(os.fsdecode(raw)), raw


def test_a_name_that_is_not_utf8_is_opened_by_its_exact_bytes(
    latin1_file: tuple[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A QUrl cannot carry the name; the desktop's opener gets it as an argument. The opener
    here is a stand-in xdg-open that records the bytes it was given and opens the file."""
    key, raw = latin1_file
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened"
    opener = bin_dir / "xdg-open"
    opener.write_text(
        f'#!/bin/sh\nhead -c 7 "$1" > "{record}.tmp" && printf %s "$1" >> '
        f'"{record}.tmp" && mv "{record}.tmp" "{record}"\n'
    )
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert open_externally(key)
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.read_bytes() == b"Invoice" + raw  # it could read the file: the exact name


def test_results_show_the_name_with_escapes(latin1_file: tuple[str, bytes]) -> None:
    key, _ = latin1_file
    hit = FileHit(key, 0.9, "", "Invoice", [], None, 0, "text", 0.0, 24)
    model = ResultsModel()
    model.set_hits([hit])
    index = model.index(0, 0)
    assert model.data(index, Qt.ItemDataRole.DisplayRole) == "facture n\\xb03 \\xe9t\\xe9.txt"
    assert model.data(index, Qt.ItemDataRole.ToolTipRole).endswith("\\xe9t\\xe9.txt")
