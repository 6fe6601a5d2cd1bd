"""Keys between the search box and the results, the menus' shortcuts, the Help dialogs, a file
that cannot be opened, the focus after adding a folder, and the window kept from one start to
the next. No engine is started: the tests play its part through the bridge's signals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop_app import __version__, paths
from desktop_app.engine.events import EngineStarted
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.search import FileHit, SearchResponse
from desktop_app.engine.status import EngineStatus, FolderStatus
from desktop_app.ui import main_window, window_state
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.menus import AboutDialog, ShortcutsDialog
from tests.gui.conftest import answer


def hit(name: str) -> FileHit:
    return FileHit(
        f"/docs/{name}", 0.5, name, f"text of {name}", [], None, 0, "text", 0.0, 100,
        relevance=0.9, weak=False,
    )  # fmt: skip


HITS = [hit("first.txt"), hit("second.txt"), hit("third.txt")]


def new_window(qtbot: QtBot) -> MainWindow:
    window = MainWindow(EngineBridge())  # never started: the test plays the engine's part
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def win(qtbot: QtBot) -> Iterator[MainWindow]:
    window = new_window(qtbot)
    yield window
    window.bridge.shutdown()


def feed(win: MainWindow, query: str = "lava") -> None:
    """The search box holds ``query`` and the results of a search for it are shown."""
    answer(win, SearchResponse(query, "hybrid", 3.0, HITS), typed=query)
    assert win.model.rowCount() == 3


def in_results(win: MainWindow) -> None:
    win.results_view.setFocus()
    assert win.focusWidget() is win.results_view


def test_esc_in_the_results_goes_back_to_the_box_and_a_second_esc_clears(
    qtbot: QtBot, win: MainWindow
) -> None:
    feed(win)
    in_results(win)
    qtbot.keyClick(win.results_view, Qt.Key.Key_Escape)
    assert win.focusWidget() is win.search_box
    assert win.search_box.text() == "lava" and win.model.rowCount() == 3  # nothing cleared
    assert win.search_box.selectedText() == ""  # typing on goes after the query
    qtbot.keyClick(win.search_box, Qt.Key.Key_Escape)
    assert win.search_box.text() == "" and win.model.rowCount() == 0


def test_down_enters_the_results_and_up_on_the_first_row_returns(
    qtbot: QtBot, win: MainWindow
) -> None:
    feed(win)
    win.search_box.setFocus()
    qtbot.keyClick(win.search_box, Qt.Key.Key_Down)
    assert win.focusWidget() is win.results_view
    view = win.results_view
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Up)  # from the second row: the first, still in the list
    assert view.currentIndex().row() == 0 and win.focusWidget() is view
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert win.focusWidget() is win.search_box


def test_up_on_the_first_hit_returns_when_a_group_header_is_above_it(
    qtbot: QtBot, win: MainWindow
) -> None:
    win.results_panel.set_group_key("folder")
    answer(win, SearchResponse("lava", "hybrid", 3.0, HITS), typed="lava")
    view = win.results_view
    assert win.model.index(0, 0).data(main_window.HIT_ROLE) is None  # the folder's header
    win.search_box.setFocus()
    qtbot.keyClick(win.search_box, Qt.Key.Key_Down)
    first = view.currentIndex()
    assert first.row() == 1 and first.data(main_window.HIT_ROLE) is HITS[0]  # row 0: header
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert win.focusWidget() is win.search_box


def test_typing_in_the_results_goes_on_in_the_box(qtbot: QtBot, win: MainWindow) -> None:
    feed(win)
    in_results(win)
    qtbot.keyClicks(win.results_view, "s")
    assert win.search_box.text() == "lavas"
    assert win.focusWidget() is win.search_box
    assert win.typing_timer.isActive()  # typed as if in the box: the search follows
    in_results(win)
    qtbot.keyClick(win.results_view, Qt.Key.Key_Backspace)
    assert win.search_box.text() == "lava"
    in_results(win)
    qtbot.keyClick(win.results_view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert win.search_box.text() == "lava" and win.focusWidget() is win.results_view


def test_the_actions_carry_their_shortcuts_and_f1_lists_them(qtbot: QtBot, win: MainWindow) -> None:
    menus = win.menus
    assert QKeySequence("Ctrl+Q") in menus.quit.shortcuts()
    preferences = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    assert menus.settings.shortcuts() == (preferences or [QKeySequence("Ctrl+,")])
    assert menus.shortcuts.shortcuts() == [QKeySequence("F1")]
    help_menu = [a.text() for a in win.menuBar().actions()]
    assert help_menu == ["&File", "&Help"]

    assert not win.findChildren(ShortcutsDialog)
    menus.shortcuts.trigger()
    dialogs = win.findChildren(ShortcutsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    rows = dict(dialogs[0].texts())
    native = QKeySequence.SequenceFormat.NativeText
    assert rows[QKeySequence("F1").toString(native)] == "Keyboard Shortcuts"
    assert rows[menus.quit.shortcut().toString(native)] == "Quit"
    assert rows[menus.settings.shortcut().toString(native)] == "Settings"
    assert rows["Esc"].startswith("In the results, back to the search box")
    assert "Go to the search box" in rows.values()
    dialogs[0].close()


def test_about_names_the_version_model_data_folder_and_licences(
    win: MainWindow, app_home: Path
) -> None:
    win.menus.about.trigger()
    before = win.findChildren(AboutDialog)[-1].label.text()
    assert "Model: not loaded yet" in before

    model = InstalledModel(
        "test-model", Path("/models/test.gguf"), 384, 256, "mean", 1, "", "", bundled=True
    )
    win.bridge.engine_ready.emit(EngineStarted(model, "/store"))
    QCoreApplication.processEvents()
    win.menus.about.trigger()
    text = win.findChildren(AboutDialog)[-1].label.text()
    assert f"Desktop Search {__version__}" in text
    assert "test-model (384 dimensions)" in text and "/models/test.gguf" in text
    assert str(paths.data_dir()) in text and str(app_home) in text
    for licence in ("PySide6: LGPLv3", "llama.cpp: MIT", "LanceDB: Apache-2.0"):
        assert licence in text
    assert "all-MiniLM-L6-v2 (the default model): Apache-2.0" in text


def test_a_file_that_cannot_be_opened_says_so(
    qtbot: QtBot, win: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        main_window, "open_externally", lambda path, page=0: asked.append(path) and False
    )
    feed(win)
    in_results(win)
    qtbot.keyClick(win.results_view, Qt.Key.Key_Return)
    assert asked == ["/docs/first.txt"]
    assert win.statusBar().isVisible()
    assert win.statusBar().currentMessage() == "Could not open “first.txt” (in /docs)"


def test_the_search_box_has_the_focus_after_a_folder_is_added(
    qtbot: QtBot, win: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added: list[str] = []
    monkeypatch.setattr(win.runner, "add_folder", added.append)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    win.folders.add_button.setFocus()
    assert win.focusWidget() is win.folders.add_button
    qtbot.mouseClick(win.folders.add_button, Qt.MouseButton.LeftButton)
    assert added == [str(tmp_path)]
    assert win.focusWidget() is win.search_box


def status(*folders: str) -> EngineStatus:
    return EngineStatus("m", 384, "/store", folders=tuple(FolderStatus(f, True) for f in folders))


def test_size_panes_and_filters_come_back_on_the_next_start(qtbot: QtBot, app_home: Path) -> None:
    first = new_window(qtbot)
    first.resize(720, 480)
    first.move(40, 30)
    first.splitter.setSizes([150, 350])
    saved_sizes = first.splitter.sizes()
    assert window_state.select(first.type_filter, "pdf")
    assert window_state.select(first.date_filter, "7")
    first.bridge.status_changed.emit(status("/docs/a", "/docs/b"))
    QCoreApplication.processEvents()
    first.folder_filter.setCurrentIndex(first.folder_filter.findData("/docs/b"))
    first.close()
    first.bridge.shutdown()
    assert (app_home / "config" / window_state.FILE_NAME).is_file()

    second = new_window(qtbot)
    assert (second.width(), second.height()) == (720, 480)
    assert second.pos() == first.pos()
    assert second.splitter.sizes() == saved_sizes != [620, 420]
    assert second.type_filter.currentText() == "PDF"
    assert second.date_filter.currentText() == "Past week"
    assert second.filters().types == ["pdf"] and second.filters().after is not None
    second.bridge.status_changed.emit(status("/docs/a", "/docs/b"))
    QCoreApplication.processEvents()
    assert second.folder_filter.currentData() == "/docs/b"
    assert second.folder_filter.currentText() == "b"
    second.close()
    second.bridge.shutdown()

    third = new_window(qtbot)  # the saved folder is no longer indexed
    third.bridge.status_changed.emit(status("/docs/a"))
    QCoreApplication.processEvents()
    assert third.folder_filter.currentText() == "All folders"
    assert third.filters().folders == []
    third.bridge.shutdown()
