"""Filter chips in both directions (issue 16): typed tokens <-> dropdowns <-> chips.

The search bar is built on its own (no engine): what it promises the window is its chips, its
dropdowns, its text, ``filters()`` and one ``search_requested`` per change it makes.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.engine.status import EngineStatus, FolderStatus
from desktop_app.ui.folder_labels import folder_labels
from desktop_app.ui.widgets.chips import Chip
from desktop_app.ui.widgets.folders import FoldersPanel
from desktop_app.ui.widgets.search_bar import SearchBar


def make_bar(qtbot: QtBot) -> tuple[SearchBar, list[int]]:
    bar = SearchBar()
    qtbot.addWidget(bar)
    bar.resize(800, 120)
    bar.show()
    searches: list[int] = []
    bar.search_requested.connect(lambda: searches.append(1))
    return bar, searches


def chip(bar: SearchBar, prefix: str) -> Chip:
    return next(c for c in bar.findChildren(Chip) if c.text().startswith(prefix) and c.isVisible())


def choose(value: str, bar: SearchBar, name: str) -> None:
    """Pick the entry whose value reads ``value`` (dates are numbers), as a user would."""
    combo = bar.combos[name]
    index = next((i for i in range(combo.count()) if str(combo.itemData(i)) == value), -1)
    assert index > 0
    combo.setCurrentIndex(index)


def test_typing_type_pdf_shows_the_chip_and_the_dropdown_without_a_search(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    assert bar.chips() == [] and not bar.chips_row.isVisible()
    qtbot.keyClicks(bar.search_box, "type:pdf report")
    assert bar.chips() == ["Type: PDF"] and bar.chips_row.isVisible()
    assert bar.type_filter.currentText() == "PDF"
    assert bar.filters().types == [], "the engine parses the typed token itself"
    assert searches == [], "typing searches through the window's typing pause only"
    bar.search_box.setText("report")  # the token typed away: its dropdown goes back to any
    assert bar.type_filter.currentIndex() == 0 and bar.chips() == []
    assert searches == []


def test_ext_is_a_chip_and_leaves_the_type_dropdown_alone(qtbot: QtBot) -> None:
    bar, _ = make_bar(qtbot)
    qtbot.keyClicks(bar.search_box, "notes ext:md,.TXT")
    assert bar.chips() == ["Extension: .md or .txt"]
    assert bar.type_filter.currentText() == "Any type"


def test_a_dropdown_choice_is_a_chip_and_one_search(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    choose("7", bar, "date")
    assert bar.chips() == ["Since: past week"] and searches == [1]
    assert bar.filters().after is not None
    choose("pdf", bar, "type")
    assert bar.chips() == ["Type: PDF", "Since: past week"] and searches == [1, 1]
    assert bar.filters().types == ["pdf"]


def test_removing_a_typed_chip_cuts_its_token_and_searches_once(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    qtbot.keyClicks(bar.search_box, "type:pdf report ext:md")
    assert bar.type_filter.currentText() == "PDF"
    qtbot.mouseClick(chip(bar, "Type:").close_button, Qt.MouseButton.LeftButton)
    assert bar.text() == "report ext:md"
    assert bar.type_filter.currentIndex() == 0
    assert bar.chips() == ["Extension: .md"]
    assert searches == [1]
    qtbot.mouseClick(chip(bar, "Extension:").close_button, Qt.MouseButton.LeftButton)
    assert bar.text() == "report" and bar.chips() == [] and searches == [1, 1]
    QCoreApplication.processEvents()
    assert not bar.chips_row.isVisible()


def test_removing_a_dropdown_chip_resets_the_dropdown(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    choose("docx", bar, "type")
    qtbot.mouseClick(chip(bar, "Type: Word").close_button, Qt.MouseButton.LeftButton)
    assert bar.type_filter.currentIndex() == 0 and bar.chips() == []
    assert bar.filters().types == [] and searches == [1, 1]


def test_a_dropdown_choice_replaces_a_conflicting_typed_token(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    qtbot.keyClicks(bar.search_box, "budget type:pdf after:2025-01-01 q3")
    assert bar.chips() == ["Type: PDF", "After 2025-01-01"]
    choose("docx", bar, "type")
    assert bar.text() == "budget after:2025-01-01 q3"
    assert bar.type_filter.currentText() == "Word" and bar.filters().types == ["docx"]
    assert bar.chips() == ["Type: Word", "After 2025-01-01"] and searches == [1]
    bar.date_filter.setCurrentIndex(bar.date_filter.findText("Past month"))
    assert bar.text() == "budget q3"
    assert bar.chips() == ["Type: Word", "Since: past month"] and searches == [1, 1]
    # And the other way: a newer typed token takes the dropdown over.
    bar.search_box.setText("budget q3 type:email")
    assert bar.type_filter.currentText() == "E-mail" and bar.chips()[0] == "Type: E-mail"
    assert bar.filters().types == []


def test_an_unknown_typed_type_is_a_chip_and_the_dropdown_says_any(qtbot: QtBot) -> None:
    bar, _ = make_bar(qtbot)
    choose("pdf", bar, "type")
    bar.search_box.setText("type:odt x")
    assert bar.chips() == ["Type: odt"] and bar.type_filter.currentIndex() == 0
    assert bar.filters().types == [], "the dropdown's PDF does not survive unseen"


def test_clear_filters_link_clears_text_tokens_and_dropdowns(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    qtbot.keyClicks(bar.search_box, "ext:md plan")
    QCoreApplication.processEvents()
    assert not bar.clear_link.isVisible(), "one chip needs no clear-all link"
    choose("31", bar, "date")
    assert len(bar.chips()) == 2 and bar.clear_link.isVisible()
    qtbot.mouseClick(bar.clear_link, Qt.MouseButton.LeftButton)
    assert bar.text() == "plan" and bar.chips() == [] and bar.date_filter.currentIndex() == 0
    assert searches == [1, 1]


def test_folder_labels_tell_same_named_folders_apart() -> None:
    labels = folder_labels(["/a/x/docs", "/b/y/docs", "/c/reports"])
    assert labels == {"/a/x/docs": "docs (x)", "/b/y/docs": "docs (y)", "/c/reports": "reports"}
    deeper = folder_labels(["/a/x/docs", "/b/x/docs"])
    assert deeper["/a/x/docs"] != deeper["/b/x/docs"]


def test_folder_dropdown_and_typed_folder_agree(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    bar.set_folders(["/a/x/docs", "/b/y/docs"])
    combo = bar.folder_filter
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All folders",
        "docs (x)",
        "docs (y)",
    ]
    assert combo.itemData(2, Qt.ItemDataRole.ToolTipRole) == "/b/y/docs"
    bar.search_box.setText("in:/b/y/docs/ minutes")
    assert combo.currentData() == "/b/y/docs" and bar.chips() == ["Folder: docs (y)"]
    assert bar.filters().folders == [] and searches == []
    choose("/a/x/docs", bar, "folder")
    assert bar.text() == "minutes" and bar.chips() == ["Folder: docs (x)"]
    assert bar.filters().folders == ["/a/x/docs"] and searches == [1]
    bar.set_folders(["/a/x/docs", "/b/y/docs", "/c/z"])  # a status update keeps the choice
    assert combo.currentData() == "/a/x/docs" and searches == [1]


def test_a_restored_folder_waits_for_the_folders(qtbot: QtBot) -> None:
    bar, searches = make_bar(qtbot)
    bar.restore_filters({"type": "pdf", "date": "7", "folder": "/docs/b"})
    assert bar.chips() == ["Type: PDF", "Since: past week"]
    bar.set_folders(["/docs/a", "/docs/b"])
    assert bar.folder_filter.currentText() == "b"
    assert bar.filter_values() == {"type": "pdf", "date": "7", "folder": "/docs/b"}
    assert searches == []
    bar.search_box.setText("type:email")  # a typed value is not kept as a dropdown choice
    assert bar.filter_values()["type"] == ""


def test_chip_labels_are_plain_text(qtbot: QtBot) -> None:
    bar, _ = make_bar(qtbot)
    bar.set_folders(["/data/a&b <c>"])
    choose("/data/a&b <c>", bar, "folder")
    assert bar.chips() == ["Folder: a&b <c>"]
    label = chip(bar, "Folder:").label
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert "&amp;" not in label.text() and "&lt;" not in label.text()
    assert bar.folder_filter.currentText() == "a&b <c>"


def test_chips_wrap_and_elide_within_an_800_px_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    bar = SearchBar()
    QVBoxLayout(window).addWidget(bar)
    window.resize(800, 300)
    window.show()
    long_name = "/srv/" + "/".join(["a-rather-long-folder-name"] * 8)
    bar.search_box.setText(
        f"type:pdf ext:md,txt,docx in:{long_name} after:2025-01-01 before:2025-06 in:notes"
    )
    qtbot.waitUntil(lambda: bar.chips_row.isVisible())
    QCoreApplication.processEvents()
    assert window.width() == 800
    chips = [c for c in bar.findChildren(Chip) if c.isVisible()]
    assert len(chips) == 6
    row = bar.chips_row
    assert all(c.geometry().right() < row.width() for c in chips), "no chip past the edge"
    assert len({c.y() for c in chips}) >= 2, "the chips wrapped onto a second line"
    folder = next(c for c in chips if long_name in c.text())
    assert folder.width() <= row.width() < folder.sizeHint().width(), "the long chip elides"


def test_folders_pane_never_scrolls_sideways(qtbot: QtBot) -> None:
    panel = FoldersPanel()
    qtbot.addWidget(panel)
    long_path = "/home/someone/" + "a-very-long-folder-name-" * 6 + "end"
    panel.set_status(
        EngineStatus(
            "m",
            384,
            "/store",
            folders=(FolderStatus(long_path, True), FolderStatus("/x/docs", True)),
        )
    )
    panel.resize(200, 300)
    panel.show()
    QCoreApplication.processEvents()
    view = panel.list
    assert not view.horizontalScrollBar().isVisible()
    assert view.visualItemRect(view.item(0)).width() <= view.viewport().width()
    assert view.item(0).toolTip() == long_path
    assert view.item(1).text().startswith("docs\n"), "the row names the folder as the dropdown"


def test_a_narrow_bar_puts_the_dropdowns_under_the_box(qtbot: QtBot) -> None:
    """At 1400 px the dropdowns sit beside the box; in an 800-px window (the bar about 500 px
    wide beside the folders pane) they go under it, and the box keeps most of the width."""
    bar, _ = make_bar(qtbot)
    bar.resize(1000, 120)
    QCoreApplication.processEvents()
    top = bar.search_box.geometry()
    assert all(c.geometry().top() < top.bottom() for c in bar.combos.values())
    bar.resize(480, 120)
    QCoreApplication.processEvents()
    box = bar.search_box.geometry()
    assert box.width() >= 400
    assert all(c.geometry().top() > box.bottom() for c in bar.combos.values())
    bar.resize(1000, 120)
    QCoreApplication.processEvents()
    assert all(c.geometry().top() < bar.search_box.geometry().bottom() for c in bar.combos.values())
