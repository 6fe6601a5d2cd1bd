"""Sorting and grouping the results, and the "Similar to" banner (issue 16).

The panel is built on its own and fed responses as the window does; no engine is started.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop_app.engine.search import FileHit, SearchResponse
from desktop_app.ui.widgets.result_list import ResultsPanel
from desktop_app.ui.widgets.results import HEADER_ROLE, HIT_ROLE, folder_title

DISPLAY = Qt.ItemDataRole.DisplayRole
DAY = 86400.0


def hit(path: str, modified: float, weak: bool = False, kind: str = "text") -> FileHit:
    return FileHit(
        path, 0.5, os.path.basename(path), f"text of {path}", [], None, 0, kind,
        1.7e9 + modified * DAY, 100, relevance=0.3 if weak else 0.8, weak=weak,
    )  # fmt: skip


# engine order (relevance): b, c, a among the strong; z, y among the weak
STRONG = [
    hit("/w/reports/b.pdf", 1, kind="pdf"),
    hit("/w/notes/c.txt", 3),
    hit("/w/reports/a.pdf", 2, kind="pdf"),
]
WEAK = [hit("/w/notes/z.txt", 1, weak=True), hit("/w/reports/y.pdf", 5, weak=True, kind="pdf")]


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[ResultsPanel]:
    widget = ResultsPanel()
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show_response(SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def rows(panel: ResultsPanel) -> list[str]:
    model = panel.model
    return [model.index(r, 0).data(DISPLAY) for r in range(model.rowCount())]


def names(panel: ResultsPanel) -> list[str]:
    """The hits' file names in row order (headers and the "Show N" row left out)."""
    model = panel.model
    hits = [model.index(r, 0).data(HIT_ROLE) for r in range(model.rowCount())]
    return [os.path.basename(h.path) for h in hits if h is not None]


def test_sorting_orders_the_strong_rows_and_keeps_weak_ones_behind_the_row(
    panel: ResultsPanel,
) -> None:
    assert rows(panel) == ["b.pdf", "c.txt", "a.pdf", "Show 2 weaker matches"]
    panel.set_sort_key("date")
    assert rows(panel) == ["c.txt", "a.pdf", "b.pdf", "Show 2 weaker matches"]  # newest first
    panel.set_sort_key("name")
    assert rows(panel) == ["a.pdf", "b.pdf", "c.txt", "Show 2 weaker matches"]
    panel.set_sort_key("relevance")
    assert rows(panel) == ["b.pdf", "c.txt", "a.pdf", "Show 2 weaker matches"]
    assert panel.sort_button.text() == "Sort: Relevance"


def test_revealed_weak_rows_follow_the_strong_ones_sorted_the_same_way(
    panel: ResultsPanel,
) -> None:
    panel.set_sort_key("name")
    panel.reveal()
    assert rows(panel) == ["a.pdf", "b.pdf", "c.txt", "y.pdf", "z.txt"]
    assert panel.view.currentIndex().data(HIT_ROLE) is WEAK[1]  # the first weak row: y.pdf
    panel.set_sort_key("date")
    assert rows(panel) == ["c.txt", "a.pdf", "b.pdf", "y.pdf", "z.txt"]
    assert panel.view.currentIndex().data(HIT_ROLE) is WEAK[1]  # still current after sorting
    panel.set_sort_key("relevance")
    assert rows(panel) == ["b.pdf", "c.txt", "a.pdf", "z.txt", "y.pdf"]
    assert panel.count_label.text() == "5 files"


def test_sort_and_group_are_kept_for_the_next_answer(panel: ResultsPanel) -> None:
    panel.set_sort_key("name")
    panel.set_group_key("type")
    panel.show_response(SearchResponse("lava flow", "hybrid", 3.0, list(reversed(STRONG))))
    assert (panel.sort_key, panel.group_key) == ("name", "type")
    assert rows(panel) == ["PDF (2)", "a.pdf", "b.pdf", "Text (1)", "c.txt"]
    assert panel.group_button.text() == "Group: Type"
    panel.set_sort_key("size")  # unknown keys (say, an old setting) change nothing
    panel.set_group_key("colour")
    assert (panel.sort_key, panel.group_key) == ("name", "type")


def test_picking_in_the_menus_rearranges_and_tells_the_window(
    qtbot: QtBot, panel: ResultsPanel
) -> None:
    menu = panel.sort_button.menu()
    assert menu is not None
    date = next(a for a in menu.actions() if a.text() == "Date modified")
    with qtbot.waitSignal(panel.arrangement_changed) as changed:
        date.trigger()
    assert changed.args == ["date", "none"]
    assert date.isChecked() and panel.sort_button.text() == "Sort: Date modified"
    assert names(panel) == ["c.txt", "a.pdf", "b.pdf"]


def test_grouping_by_folder_puts_a_counted_header_over_each_folder(panel: ResultsPanel) -> None:
    panel.set_group_key("folder")
    reports, notes = folder_title("/w/reports"), folder_title("/w/notes")
    assert reports == "reports — /w" and notes == "notes — /w"
    assert rows(panel) == [
        "reports — /w (2)", "b.pdf", "a.pdf", "notes — /w (1)", "c.txt", "Show 2 weaker matches",
    ]  # fmt: skip
    panel.reveal()  # the weak ones: grouped among themselves, after every strong row
    weak_rows = ["notes — /w (1 weaker match)", "z.txt", "reports — /w (1 weaker match)", "y.pdf"]
    assert rows(panel)[5:] == weak_rows


def test_grouping_by_type_and_headers_carry_no_hit_and_cannot_be_selected(
    panel: ResultsPanel,
) -> None:
    panel.set_group_key("type")
    assert rows(panel)[:5] == ["PDF (2)", "b.pdf", "a.pdf", "Text (1)", "c.txt"]
    model = panel.model
    for row in (0, 3):
        index = model.index(row, 0)
        assert index.data(HIT_ROLE) is None and index.data(HEADER_ROLE) is not None
        assert not model.flags(index) & Qt.ItemFlag.ItemIsSelectable
        assert not model.flags(index) & Qt.ItemFlag.ItemIsEnabled
        panel.view.setCurrentIndex(index)
        assert panel.view.currentIndex().row() != row
    assert model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsSelectable
    assert not model.is_header(model.index(1, 0)) and model.is_header(model.index(0, 0))


def test_the_first_hit_is_current_and_arrow_keys_skip_the_headers(
    qtbot: QtBot, panel: ResultsPanel
) -> None:
    panel.set_group_key("folder")
    panel.show_response(SearchResponse("lava", "hybrid", 3.0, STRONG + WEAK))
    view = panel.view
    assert view.currentIndex().row() == 1  # below the first header
    assert view.currentIndex().data(HIT_ROLE) is STRONG[0]
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().data(HIT_ROLE) is STRONG[2]  # a.pdf, last of reports
    qtbot.keyClick(view, Qt.Key.Key_Down)  # over the "notes" header
    assert view.currentIndex().row() == 4 and view.currentIndex().data(HIT_ROLE) is STRONG[1]
    qtbot.keyClick(view, Qt.Key.Key_Up)  # and back over it
    assert view.currentIndex().data(HIT_ROLE) is STRONG[2]
    qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert panel.model.is_more_row(view.currentIndex())
    qtbot.keyClick(view, Qt.Key.Key_Return)  # reveal: current is the first weak hit, not a header
    assert view.currentIndex().data(HIT_ROLE) is WEAK[0]
    assert panel.model.is_header(panel.model.index(view.currentIndex().row() - 1, 0))


def test_a_click_on_a_header_selects_nothing(qtbot: QtBot, panel: ResultsPanel) -> None:
    panel.set_group_key("type")
    view = panel.view
    where = view.visualRect(panel.model.index(3, 0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert view.currentIndex().data(HIT_ROLE) is STRONG[0]
    assert all(i.data(HEADER_ROLE) is None for i in view.selectionModel().selectedIndexes())


def test_no_horizontal_scrollbar_at_800x500_with_grouping(
    qtbot: QtBot, panel: ResultsPanel
) -> None:
    long = "/w/" + "deeply-nested-folder-name/" * 8 + "x" * 120 + ".pdf"
    many = [hit(f"/w/f{i % 4}/file {i}.txt", i) for i in range(20)]
    panel.set_group_key("folder")
    panel.show_response(SearchResponse(f"similar:{long}", "similar", 3.0, [hit(long, 1), *many]))
    panel.resize(800, 500)
    QCoreApplication.processEvents()
    qtbot.wait(150)
    QCoreApplication.processEvents()
    view = panel.view
    bar = view.horizontalScrollBar()
    assert not bar.isVisible() and bar.maximum() == 0
    assert panel.width() == 800 and view.width() <= 800
    assert view.verticalScrollBar().isVisible()  # a full list: headers laid out with the rows
    for row in range(panel.model.rowCount()):
        rect = view.visualRect(panel.model.index(row, 0))
        assert rect.height() > 0 and rect.right() < view.viewport().width()


def test_the_similar_banner_names_the_file_and_its_back_button_asks_to_go_back(
    qtbot: QtBot, panel: ResultsPanel
) -> None:
    assert not panel.banner.isVisible()
    panel.show_response(SearchResponse("similar:/w/reports/report.pdf", "similar", 3.0, STRONG))
    assert panel.banner.isVisible()
    assert panel.similar_label.text() == "Similar to report.pdf"
    assert panel.similar_label.toolTip() == "/w/reports/report.pdf"
    assert panel.back_button.text() == "← Back to results"
    with qtbot.waitSignal(panel.back_requested, timeout=1000):
        qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    panel.show_response(
        SearchResponse("similar:/w/r.pdf", "similar", 3.0, STRONG), back_to="lava flows"
    )
    assert panel.back_button.text() == "← Back to results for “lava flows”"
    panel.show_response(SearchResponse("lava", "hybrid", 3.0, STRONG))
    assert not panel.banner.isVisible()
    panel.show_response(SearchResponse("similar:/w/r.pdf", "similar", 3.0, STRONG))
    panel.clear()
    assert not panel.banner.isVisible() and not panel.bar.isVisible()


def test_names_show_literally_in_the_banner_and_the_headers(panel: ResultsPanel) -> None:
    odd = '/w/a&b <b>"c"/a&b "c" <b>x&amp;.pdf'
    panel.set_group_key("folder")
    panel.show_response(
        SearchResponse(f"similar:{odd}", "similar", 3.0, [hit(odd, 1)]), back_to='"x" & <i>'
    )
    assert panel.similar_label.text() == 'Similar to a&b "c" <b>x&amp;.pdf'
    assert panel.similar_label.textFormat() == Qt.TextFormat.PlainText
    # a button's "&" marks a mnemonic: doubled, it shows as one "&"
    assert panel.back_button.text().replace("&&", "&") == '← Back to results for “"x" & <i>”'
    assert rows(panel)[0] == 'a&b <b>"c" — /w (1)'
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
        assert "&lt;" not in label.text() and "&quot;" not in label.text()


def test_the_count_says_how_many_files_are_listed(panel: ResultsPanel) -> None:
    assert panel.bar.isVisible() and panel.count_label.text() == "3 files"
    panel.show_response(SearchResponse("lava", "hybrid", 3.0, STRONG[:1]))
    assert panel.count_label.text() == "1 file"
    panel.show_response(SearchResponse("lava", "hybrid", 3.0, WEAK))
    assert panel.count_label.text() == "2 weaker matches"
    assert not panel.view.currentIndex().isValid()  # nothing strong: no current row
