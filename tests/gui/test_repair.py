"""The window's Repair action: a damaged index is explained, repaired, and searchable again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import WAIT_MS, search


def _indexed_then_damaged(root: Path, model: InstalledModel) -> None:
    """Index two notes, close, then delete the chunks table's largest data file."""
    root.mkdir()
    (root / "kiln.txt").write_text("The pottery kiln fires stoneware at 1280 degrees.\n")
    (root / "hive.txt").write_text("Bees store honey in wax combs inside the hive.\n")
    engine = Engine(Settings.load(), model=model)
    engine.add_folders([root])
    assert engine.index().indexed == 2
    engine.close()
    data = paths.index_dir() / model.id / "chunks.lance" / "data"
    max(data.glob("*.lance"), key=lambda p: p.stat().st_size).unlink()


def test_damaged_index_offers_repair_and_the_repair_restores_search(
    qtbot: QtBot, tmp_path: Path, default_model: InstalledModel
) -> None:
    root = tmp_path / "notes"
    _indexed_then_damaged(root, default_model)
    bridge = EngineBridge(lambda: Engine(Settings.load(), model=default_model))
    win = MainWindow(bridge)
    qtbot.addWidget(win)
    win.show()
    try:
        with qtbot.waitSignal(bridge.damaged, timeout=WAIT_MS):
            bridge.start()
        qtbot.waitUntil(lambda: win.repair_button.isVisible(), timeout=WAIT_MS)
        assert "needs a repair" in win.message.text()
        assert "damaged" in win.message.text() and "doctor --repair" not in win.message.text()

        # Repaired, restarted, and the restart's catch-up scan done (its end re-runs a search).
        signals = [bridge.repair_finished, bridge.engine_ready, bridge.index_finished]
        with qtbot.waitSignals(signals, timeout=WAIT_MS):
            qtbot.mouseClick(win.repair_button, Qt.MouseButton.LeftButton)
        assert not win.repair_button.isVisible()
        qtbot.waitUntil(lambda: win.ready, timeout=WAIT_MS)
        said = win.statusBar().currentMessage()
        assert "Index healthy: rebuilt the index from your files" in said
        assert "(a data file was missing)" in said and "2 files" in said
        assert search(qtbot, win, "stoneware kiln")[0] == str(root / "kiln.txt")
    finally:
        bridge.shutdown()


def test_repair_of_a_healthy_index_says_nothing_was_needed(
    qtbot: QtBot, window: MainWindow
) -> None:
    with qtbot.waitSignal(window.bridge.repair_finished, timeout=WAIT_MS) as caught:
        window.repair_index()
    report = caught.args[0]
    assert report.ok and report.actions == []
    assert "Index healthy: nothing needed repairing" in window.statusBar().currentMessage()
