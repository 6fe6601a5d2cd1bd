"""The real window with the real engine (offscreen): folders, indexing, search, open, watch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from desktop_app.engine import memory
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import WAIT_MS, index_docs, search
from tests.helpers.fakes import GB, MB, FakePsutil

IndexFolder = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def index_folder(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexFolder:
    """Writes files into ``tmp_path / "docs"``, adds that folder through the folder picker
    and waits for its indexing; returns the folder."""

    def index(files: dict[str, str | bytes]) -> Path:
        return index_docs(qtbot, window, tmp_path / "docs", files, monkeypatch)

    return index


def test_first_run_explains_what_to_do(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: "No folders yet" in window.message.text(), timeout=WAIT_MS)
    assert window.stack.currentWidget() is window.message_page
    assert window.first_folder_button.isVisible()


def test_add_folder_search_and_open(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, index_folder: IndexFolder
) -> None:
    progress: list[object] = []
    window.bridge.progress.connect(progress.append)
    docs = index_folder(
        {
            "boats.txt": "Sailing boats need a steady wind and a good keel.\n",
            "bread.md": "# Bread\n\nKnead the dough and let it rise.\n",
        }
    )
    assert progress and window.folders.folders == [str(docs)]

    paths = search(qtbot, window, "sailing wind")
    assert paths[0] == str(docs / "boats.txt")
    hit = window.model.hits[0]
    assert "wind" in {hit.snippet[a:b].lower() for a, b in hit.highlights}
    page = window.preview.browser.toHtml()
    assert "<b>" in page or "font-weight" in page

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.results_view.setFocus()
    window.results_view.setCurrentIndex(window.model.index(0, 0))
    qtbot.keyClick(window.results_view, Qt.Key.Key_Return)
    assert [u.toLocalFile() for u in opened] == [str(docs / "boats.txt")]

    qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    assert window.search_box.text() == "" and window.model.rowCount() == 0


def test_new_file_appears_without_user_action(
    qtbot: QtBot, window: MainWindow, index_folder: IndexFolder
) -> None:
    docs = index_folder({"a.txt": "An unrelated note about tea.\n"})
    with qtbot.waitSignal(window.bridge.index_finished, timeout=WAIT_MS):
        (docs / "volcano.txt").write_text("The volcano erupted and lava reached the sea.\n")
    assert search(qtbot, window, "lava flowing into the ocean")[0] == str(docs / "volcano.txt")


def test_remove_folder_and_problems(
    qtbot: QtBot, window: MainWindow, index_folder: IndexFolder
) -> None:
    docs = index_folder(
        {
            "owls.txt": "Owls hunt at night and see in the dark.\n",
            "broken.pdf": b"%PDF-1.4 this is not really a pdf",
        }
    )
    qtbot.waitUntil(lambda: window.problems.table.rowCount() == 1, timeout=WAIT_MS)
    assert window.problems.table.item(0, 0).text() == str(docs / "broken.pdf")
    assert window.problems_button.text() == "1 problem"
    assert search(qtbot, window, "owls at night") == [str(docs / "owls.txt")]

    window.folders.list.setCurrentRow(0)
    with qtbot.waitSignal(window.bridge.status_changed, timeout=WAIT_MS):
        qtbot.mouseClick(window.folders.remove_button, Qt.MouseButton.LeftButton)
    assert window.folders.folders == []
    assert search(qtbot, window, "owls at night") == []


def test_pause_button_pauses_the_engine(qtbot: QtBot, window: MainWindow) -> None:
    window.pause_button.show()
    window.pause_button.setChecked(True)
    assert window.pause_button.text() == "Resume"
    window.pause_button.setChecked(False)
    assert window.pause_button.text() == "Pause"


def test_memory_gauge_shows_pressure(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory, "psutil", FakePsutil(available=50 * MB, total=8 * GB))
    qtbot.waitUntil(lambda: window.gauge.level == "critical", timeout=WAIT_MS)
    assert "Pressure: critical" in window.gauge.toolTip()


def test_settings_dialog_is_built_from_declarations(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QSpinBox

    from desktop_app.settings import SETTINGS
    from desktop_app.ui.dialogs.settings import HIDDEN, SettingsDialog

    assert window.bridge.engine is not None
    dialog = SettingsDialog(window.bridge.engine.settings.as_dict(), window)
    qtbot.addWidget(dialog)
    assert set(dialog.editors) == set(SETTINGS) - HIDDEN
    budget = dialog.editors["memory_budget_mb"]
    assert isinstance(budget, QSpinBox) and budget.maximum() == SETTINGS["memory_budget_mb"].maximum
    budget.setValue(2048)
    values = dialog.values()
    values["extract_workers"] = 999  # out of bounds: refused with a message, the rest is saved
    with qtbot.waitSignal(window.bridge.error, timeout=WAIT_MS) as blocker:
        window.runner.apply_settings(values)
    assert "extract_workers" in blocker.args[0]
    saved = Settings.load()
    assert saved["memory_budget_mb"] == 2048 and saved["extract_workers"] == 2


def test_folder_pause_and_resume(
    qtbot: QtBot, window: MainWindow, index_folder: IndexFolder
) -> None:
    docs = index_folder({"a.txt": "Notes about lighthouses and the sea.\n"})
    window.folders.list.setCurrentRow(0)
    window.folders.pause_button.click()
    # Not the next status_changed: one from the indexing run may still be on its way.
    qtbot.waitUntil(lambda: "paused" in window.folders.list.item(0).text(), timeout=WAIT_MS)
    assert window.folders.pause_button.text() == "Resume"
    (docs / "b.txt").write_text("A new note about windmills.\n")
    engine = window.bridge.engine
    assert engine is not None
    assert engine.plan().new == []  # a paused folder is not scanned
    with qtbot.waitSignal(window.bridge.index_finished, timeout=WAIT_MS):
        window.folders.list.setCurrentRow(0)
        window.folders.pause_button.click()
    assert str(docs / "b.txt") in engine.store.manifest()  # caught up on resume


def test_close_hides_to_tray_when_asked(window: MainWindow) -> None:
    window.keep_in_tray = True
    window.close()
    assert not window.isVisible()
    window.keep_in_tray = False


def test_model_that_does_not_fit_is_explained(
    qtbot: QtBot, default_model: InstalledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.engine import embedder

    monkeypatch.setattr(embedder, "psutil", FakePsutil(available=20 * MB))
    bridge = EngineBridge(lambda: Engine(Settings.load(), model=default_model))
    win = MainWindow(bridge)
    qtbot.addWidget(win)
    with qtbot.waitSignal(bridge.engine_failed, timeout=WAIT_MS):
        bridge.start()
    qtbot.waitUntil(lambda: "not enough memory" in win.message.text(), timeout=WAIT_MS)
    bridge.shutdown()


def test_gui_smoke_test_command(tmp_path: Path, default_model: InstalledModel) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path), "gui", "--smoke-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["model"] == default_model.id
    assert 0 < line["window_shown_ms"] <= line["engine_ready_ms"]


def test_window_modules_do_not_load_the_engine_libraries() -> None:
    """The window paints before lancedb and llama.cpp load: importing it must not pull them."""
    import subprocess
    import sys

    code = (
        "import sys, desktop_app.cli, desktop_app.ui.app; "
        "print(sorted(m for m in ('lancedb', 'llama_cpp', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
