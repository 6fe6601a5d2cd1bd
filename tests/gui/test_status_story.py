"""The status bar tells two stories apart: what the index holds, and what the run is doing.

Seen before: "Up to date · 0 indexed" after a restart while 51 files were searchable, "No
problems" before the engine had said anything, and "Indexing in the background" left on the
page after the run had ended.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import WAIT_MS, index_docs

FILES = {f"note{i}.txt": f"Notes number {i} about glaciers, fjords and moraines." for i in range(3)}


def make_window(qtbot: QtBot, model: InstalledModel) -> MainWindow:
    bridge = EngineBridge(lambda: Engine(Settings.load(), model=model))
    win = MainWindow(bridge)
    qtbot.addWidget(win)
    win.show()
    return win


def test_nothing_is_claimed_before_the_engine_says_it(
    qtbot: QtBot, default_model: InstalledModel
) -> None:
    win = make_window(qtbot, default_model)
    area = win.status_area
    assert area.run_label.text() == "Starting the search engine…"
    assert not area.problems_button.isVisible()  # not "No problems": nothing is known yet
    assert not area.index_label.isVisible()


def test_a_restart_that_finds_nothing_new_says_up_to_date_and_what_is_held(
    qtbot: QtBot, default_model: InstalledModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_window(qtbot, default_model)
    with qtbot.waitSignal(first.bridge.engine_ready, timeout=WAIT_MS):
        first.bridge.start()
    index_docs(qtbot, first, tmp_path / "docs", FILES, monkeypatch)
    qtbot.waitUntil(lambda: first.status_area.index_label.text().startswith("3 files"))
    assert first.status_area.run_label.text() == "Up to date · 3 files indexed"
    assert first.problems_button.isVisible() and first.problems_button.text() == "No problems"
    first.bridge.shutdown()
    first.close()

    again = make_window(qtbot, default_model)
    said_at_start: list[str] = []
    again.bridge.engine_ready.connect(
        lambda _info: said_at_start.append(again.status_area.run_label.text())
    )
    with qtbot.waitSignal(again.bridge.index_finished, timeout=WAIT_MS):
        again.bridge.start()  # the catch-up run over the folder: nothing changed
    try:
        assert said_at_start == ["Looking for changes…"]  # not "Up to date" before it is
        qtbot.waitUntil(lambda: again.status_area.run_label.text() == "Up to date")
        qtbot.waitUntil(lambda: again.status_area.index_label.isVisible(), timeout=WAIT_MS)
        held = again.status_area.index_label.text()
        assert held.startswith("3 files · ") and held.endswith(" passages"), held
        assert "0 indexed" not in again.status_area.run_label.text()
        page = again.message.text()
        assert "Indexing in the background" not in page
        assert page == "Type to search by meaning and by keyword."
    finally:
        again.bridge.shutdown()
