"""The results window shows calibrated relevance, hides weak hits, and says "no good matches".

Responses are built here and handed to the window the way the bridge does: its ``results``
signal (connected queued) with the id of the latest request. No engine is started.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.engine.search import FileHit, SearchResponse
from desktop_app.ui import main_window
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.widgets.result_delegate import STRONG_BAR, ResultDelegate, bar_width
from desktop_app.ui.widgets.results import HIT_ROLE, ResultsModel
from tests.gui.conftest import answer

DISPLAY = Qt.ItemDataRole.DisplayRole
ROW_HEIGHT = 92  # tall enough for a painted one-line row


def hit(name: str, relevance: float, weak: bool, score: float = 0.5) -> FileHit:
    return FileHit(
        f"/docs/{name}", score, name, f"text of {name}", [], None, 0, "text", 0.0, 100,
        relevance=relevance, weak=weak,
    )  # fmt: skip


STRONG = [hit("strong-a.txt", 0.9, False), hit("strong-b.txt", 0.7, False)]
WEAK = [hit("weak-a.txt", 0.3, True), hit("weak-b.txt", 0.1, True)]


@pytest.fixture
def win(qtbot: QtBot) -> Iterator[MainWindow]:
    bridge = EngineBridge()  # never started: the test plays the engine's part
    window = MainWindow(bridge)
    qtbot.addWidget(window)
    window.show()
    yield window
    bridge.shutdown()


def rows(win: MainWindow) -> list[str]:
    return [win.model.index(r, 0).data(DISPLAY) for r in range(win.model.rowCount())]


def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(
        main_window, "open_externally", lambda path, page=0: calls.append(path) or True
    )
    return calls


def test_strong_results_first_and_weak_ones_behind_one_row(win: MainWindow) -> None:
    answer(win, SearchResponse("lava", "hybrid", 3.0, [WEAK[0], STRONG[0], WEAK[1], STRONG[1]]))
    assert win.stack.currentWidget() is win.results_panel
    assert rows(win) == ["strong-a.txt", "strong-b.txt", "Show 2 weaker matches"]
    more = win.model.index(2, 0)
    assert more.data(HIT_ROLE) is None
    assert [win.model.index(r, 0).data(HIT_ROLE) for r in (0, 1)] == STRONG
    assert win.results_view.currentIndex().row() == 0
    assert (win.preview.current_path() or "").endswith("strong-a.txt")
    assert not win.results_panel.heading.isVisible()
    assert [h.path for h in win.model.hits] == [h.path for h in STRONG + WEAK]


def test_one_weak_result_is_named_in_the_singular(win: MainWindow) -> None:
    answer(win, SearchResponse("lava", "hybrid", 3.0, [STRONG[0], WEAK[0]]))
    assert rows(win) == ["strong-a.txt", "Show 1 weaker match"]


def test_the_count_above_the_results_is_in_the_right_number(win: MainWindow) -> None:
    count = win.results_panel.count_label
    answer(win, SearchResponse("q", "hybrid", 3.0, STRONG[:1] + WEAK[:1]))
    assert count.text() == "1 file"
    answer(win, SearchResponse("q", "hybrid", 12.4, STRONG))
    assert count.text() == "2 files" and count.toolTip() == "Found in 12 ms"
    answer(win, SearchResponse("q", "hybrid", 5.0, WEAK[:1]))
    assert count.text() == "1 weaker match"
    assert win.statusBar().currentMessage() == ""  # the run's state stays in view


def test_enter_on_the_row_reveals_weak_results_and_a_new_search_hides_them(
    qtbot: QtBot, win: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = opened(monkeypatch)
    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    view = win.results_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().data(DISPLAY) == "Show 2 weaker matches"
    assert win.preview.current_path() is None and win.preview.browser.toPlainText() == ""
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert rows(win) == ["strong-a.txt", "strong-b.txt", "weak-a.txt", "weak-b.txt"]
    assert calls == []  # revealing opened nothing
    assert view.currentIndex().data(HIT_ROLE) is WEAK[0]
    assert (win.preview.current_path() or "").endswith("weak-a.txt")
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert calls == ["/docs/weak-b.txt"]  # a revealed hit opens like any other

    answer(win, SearchResponse("lava flow", "hybrid", 3.0, STRONG + WEAK))
    assert rows(win)[-1] == "Show 2 weaker matches" and win.model.rowCount() == 3


def double_click(qtbot: QtBot, win: MainWindow, row: int) -> None:
    """What a real double-click delivers: press, release, press, double-click, release."""
    viewport = win.results_view.viewport()
    where = win.results_view.visualRect(win.model.index(row, 0)).center()
    left = Qt.MouseButton.LeftButton
    qtbot.mousePress(viewport, left, pos=where)
    qtbot.mouseRelease(viewport, left, pos=where)
    qtbot.mousePress(viewport, left, pos=where)
    qtbot.mouseDClick(viewport, left, pos=where)
    qtbot.mouseRelease(viewport, left, pos=where)


def test_a_click_or_a_double_click_on_the_row_reveals_and_opens_nothing(
    qtbot: QtBot, win: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = opened(monkeypatch)
    view = win.results_view
    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    where = view.visualRect(win.model.index(2, 0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert rows(win)[2:] == ["weak-a.txt", "weak-b.txt"]

    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    assert win.model.rowCount() == 3
    double_click(qtbot, win, 2)
    assert rows(win)[2:] == ["weak-a.txt", "weak-b.txt"]
    assert calls == []  # the second click landed on the revealed weak-a.txt: not opened

    qtbot.wait(QApplication.doubleClickInterval() + 100)
    double_click(qtbot, win, 0)
    assert calls == ["/docs/strong-a.txt"]
    double_click(qtbot, win, 2)
    assert calls == ["/docs/strong-a.txt", "/docs/weak-a.txt"]


def test_all_weak_says_no_good_matches_and_leaves_the_preview_empty(
    qtbot: QtBot, win: MainWindow
) -> None:
    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG))
    assert (win.preview.current_path() or "").endswith("strong-a.txt")
    answer(win, SearchResponse("qwzxvbnm", "hybrid", 3.0, WEAK))
    heading = win.results_panel.heading
    assert heading.isVisible() and heading.text() == "No good matches for “qwzxvbnm”"
    assert heading.textFormat() == Qt.TextFormat.PlainText
    assert rows(win) == ["Show 2 weaker matches"]
    assert win.preview.current_path() is None and win.preview.browser.toPlainText() == ""
    assert not win.results_view.currentIndex().isValid()

    win.search_box.setFocus()  # Down from the search box, then Enter, reveals them
    qtbot.keyClick(win.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(win.results_view, Qt.Key.Key_Return)
    assert rows(win) == ["weak-a.txt", "weak-b.txt"]
    assert (win.preview.current_path() or "").endswith("weak-a.txt")
    assert heading.isVisible()

    answer(win, SearchResponse('"lava lake" <b>', "hybrid", 3.0, WEAK))
    assert heading.text() == 'No good matches for “"lava lake" <b>”'
    assert "&quot;" not in heading.text() and "&lt;" not in heading.text()


def test_no_results_message_is_plain_text_with_the_notes(win: MainWindow) -> None:
    note = "an unmatched quote was ignored"
    answer(win, SearchResponse('"lava lake', "hybrid", 3.0, [], [note]))
    assert win.stack.currentWidget() is win.message_page
    text = win.message.text()
    assert text.startswith('No results for “"lava lake”.') and "&quot;" not in text
    assert note in text and "Try other words" in text
    assert win.message.textFormat() == Qt.TextFormat.PlainText


def test_notes_stay_visible_above_the_results(qtbot: QtBot, win: MainWindow) -> None:
    note = "No file matched the phrase “lava lake”; showing results without that condition."
    answer(win, SearchResponse('"lava lake"', "hybrid", 3.0, STRONG, [note]))
    notes = win.results_panel.notes
    assert notes.isVisible() and note in notes.text()
    qtbot.wait(4500)  # longer than the status bar's flash
    assert notes.isVisible() and note in notes.text()
    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG))
    assert not notes.isVisible()


def test_the_bar_shows_relevance_not_rank() -> None:
    assert bar_width(hit("a", 0.25, False, score=1.0)) == 10
    assert bar_width(hit("b", 1.0, False, score=0.1)) == 40
    assert bar_width(hit("c", 1.7, False)) == 40 and bar_width(hit("d", -0.2, True)) == 0
    assert bar_width(hit("e", 0.5, False), full=100) == 50


def painted_green(relevance: float, weak: bool, score: float) -> int:
    """Pixels of the strong bar colour in the bar's middle line of one painted row."""
    model = ResultsModel()
    model.set_hits([hit("row.txt", relevance, weak, score=score)])
    image = QImage(400, ROW_HEIGHT, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 400, ROW_HEIGHT)
    painter = QPainter(image)
    ResultDelegate().paint(painter, option, model.index(0, 0))
    painter.end()
    line = 6 + 6 + 3  # row margin, bar offset, half the bar's height
    return sum(1 for x in range(400) if image.pixelColor(x, line) == STRONG_BAR)


def test_the_painted_bar_follows_relevance_and_a_weak_bar_is_muted(qtbot: QtBot) -> None:
    assert painted_green(0.5, False, score=1.0) == 20
    assert painted_green(1.0, False, score=0.05) == 40
    assert painted_green(0.9, True, score=1.0) == 0  # grey, not green


def test_special_rows_carry_no_hit_and_an_outdated_answer_is_ignored(win: MainWindow) -> None:
    answer(win, SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    assert win.model.index(2, 0).data(HIT_ROLE) is None
    assert win.model.is_more_row(win.model.index(2, 0))
    assert not win.model.is_more_row(win.model.index(0, 0))
    assert not win.model.is_more_row(QModelIndex())
    win.bridge.results.emit(win._latest_request - 1, SearchResponse("old", "hybrid", 1.0, WEAK))
    QCoreApplication.processEvents()
    assert rows(win)[0] == "strong-a.txt"
