"""Result rows fit the list's width: wrapped snippets, heights that follow the text, no
horizontal scrollbar; sizes for people; readable selected rows; plain-text labels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QFileInfo, QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.engine.search import FileHit, SearchResponse
from desktop_app.ui.widgets.result_delegate import (
    MARGIN_Y,
    SNIPPET_LINES,
    ResultDelegate,
    row_colors,
)
from desktop_app.ui.widgets.result_list import ResultsPanel, query_label
from desktop_app.ui.widgets.results import ResultsModel, human_size, weaker_label

LONG = " ".join(
    f"word{i} of the lava flow report, with samples from each vent and crater rim"
    for i in range(12)
)
SHORT = "short lava note"


def hit(name: str, snippet: str, weak: bool = False, size: int = 100) -> FileHit:
    return FileHit(
        f"/docs/{name}", 0.5, name, snippet, [], None, 0, "text", 1.7e9, size,
        relevance=0.8, weak=weak,
    )  # fmt: skip


HITS = [hit("long.txt", LONG), hit("short.txt", SHORT), hit("mid.txt", LONG[:250])]


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[ResultsPanel]:
    widget = ResultsPanel()
    qtbot.addWidget(widget)
    widget.show_response(SearchResponse("lava", "hybrid", 3.0, HITS))
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def show_at(qtbot: QtBot, panel: ResultsPanel, width: int, height: int) -> None:
    panel.resize(width, height)
    qtbot.waitExposed(panel)
    QCoreApplication.processEvents()
    qtbot.wait(150)  # also past QListView's own delayed re-layout
    QCoreApplication.processEvents()


def row_height(panel: ResultsPanel, row: int) -> int:
    return panel.view.visualRect(panel.model.index(row, 0)).height()


def needed(panel: ResultsPanel, snippet: str) -> int:
    """Independent of the delegate: the name, the meta line and the snippet word-wrapped by
    QFontMetrics at the row's text width, at most SNIPPET_LINES lines, plus the margins."""
    font = panel.view.font()
    name_font, meta_font = ResultDelegate.fonts(font)
    width = ResultDelegate.text_width(panel.view.viewport().width())
    metrics = QFontMetrics(font)
    wrapped = metrics.boundingRect(
        QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, snippet
    ).height()
    snippet_h = min(wrapped, SNIPPET_LINES * metrics.lineSpacing())
    text = QFontMetrics(name_font).height() + 2 + QFontMetrics(meta_font).height() + 4
    return text + snippet_h + 2 * MARGIN_Y


@pytest.mark.parametrize("size", [(800, 500), (1400, 900)])
def test_rows_fit_their_text_and_no_horizontal_scrollbar(
    qtbot: QtBot, panel: ResultsPanel, size: tuple[int, int]
) -> None:
    show_at(qtbot, panel, *size)
    view = panel.view
    bar = view.horizontalScrollBar()
    assert not bar.isVisible() and bar.maximum() == 0
    for row, h in enumerate(HITS):
        rect = view.visualRect(panel.model.index(row, 0))
        assert rect.right() < view.viewport().width()  # relevance bar column inside the row
        need = needed(panel, h.snippet)
        assert need - 3 <= rect.height() <= need + 6, (h.title, rect.height(), need)


def test_long_snippets_wrap_and_rows_follow_the_width(qtbot: QtBot, panel: ResultsPanel) -> None:
    show_at(qtbot, panel, 800, 500)
    long_800, short_800, mid_800 = (row_height(panel, r) for r in range(3))
    assert long_800 > short_800 and mid_800 > short_800
    show_at(qtbot, panel, 1400, 900)
    short_1400, mid_1400 = row_height(panel, 1), row_height(panel, 2)
    assert mid_1400 < mid_800  # 250 characters: three lines at 800 px, two at 1400 px
    assert short_1400 == short_800
    show_at(qtbot, panel, 500, 500)
    assert row_height(panel, 2) == long_800  # narrower still: capped at three lines
    assert not panel.view.horizontalScrollBar().isVisible()


def test_a_long_snippet_stops_after_three_lines_with_an_ellipsis(
    qtbot: QtBot, panel: ResultsPanel
) -> None:
    show_at(qtbot, panel, 800, 500)
    delegate = panel.view.itemDelegate()
    assert isinstance(delegate, ResultDelegate)
    width = ResultDelegate.text_width(panel.view.viewport().width())
    shown = delegate.snippet(HITS[0], panel.view.font(), width)
    assert shown.endswith("…") and LONG.startswith(shown[:-1].rstrip())
    assert delegate.snippet(HITS[1], panel.view.font(), width) == SHORT
    lines = QFontMetrics(panel.view.font()).lineSpacing()
    assert row_height(panel, 0) - row_height(panel, 1) <= (SNIPPET_LINES - 1) * lines + 3


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (512, "512 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (1536, "1.5 KB"),
        (2048, "2 KB"),
        (10**6, "977 KB"),
        (5 * 10**9, "4.7 GB"),
        (1024**2 - 1, "1 MB"),
    ],
)
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text


def test_counts_are_singular_or_plural() -> None:
    assert weaker_label(1) == "Show 1 weaker match"
    assert weaker_label(3) == "Show 3 weaker matches"


def palettes() -> list[QPalette]:
    light, dark = QPalette(), QPalette()
    Role = QPalette.ColorRole
    for palette, (base, text, high, high_text) in (
        (light, ("#ffffff", "#1a1a1a", "#2f6fd0", "#fff2a0")),
        (dark, ("#1e1e1e", "#e6e6e6", "#f0c040", "#400060")),
    ):
        palette.setColor(Role.Base, QColor(base))
        palette.setColor(Role.Text, QColor(text))
        palette.setColor(Role.Highlight, QColor(high))
        palette.setColor(Role.HighlightedText, QColor(high_text))
    return [light, dark]


def painted_row(palette: QPalette, selected: bool) -> QImage:
    model = ResultsModel()
    model.set_hits([hit("row.txt", SHORT)])
    image = QImage(500, 90, QImage.Format.Format_RGB32)
    image.fill(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 500, 90)
    option.palette = palette
    if selected:
        option.state |= QStyle.StateFlag.State_Selected
    painter = QPainter(image)
    ResultDelegate().paint(painter, option, model.index(0, 0))
    painter.end()
    return image


def near(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


@pytest.mark.parametrize("which", [0, 1])
def test_selected_rows_use_the_highlighted_text_colour(qtbot: QtBot, which: int) -> None:
    palette = palettes()[which]
    high_text = palette.color(QPalette.ColorRole.HighlightedText)
    colors = row_colors(palette, selected=True, weak=False)
    assert colors.text == high_text
    assert near(colors.secondary, high_text, 60)  # a mix of it, not grey
    assert not near(colors.secondary, palette.color(QPalette.ColorRole.Highlight), 60)
    for selected in (True, False):
        image = painted_row(palette, selected)
        # the meta line (second line) and the snippet (third): below the name
        option = QStyleOptionViewItem()
        font_h = QFontMetrics(option.font).height()
        top = MARGIN_Y + font_h + 2
        found = sum(
            1
            for y in range(top, min(top + 3 * font_h, image.height()))
            for x in range(60, 440)
            if near(image.pixelColor(x, y), high_text, 40)
        )
        assert (found > 20) is selected, (selected, found)


def test_labels_show_queries_literally(qtbot: QtBot, panel: ResultsPanel) -> None:
    for query in ('"zanzibarite"', "<b>", "a & b"):
        assert query_label(query) == query
    panel.show_response(
        SearchResponse('"zanzibarite" <b>', "hybrid", 3.0, [hit("w.txt", SHORT, weak=True)])
    )
    heading = panel.heading.text()
    assert '"zanzibarite" <b>' in heading
    assert "&quot;" not in heading and "&lt;" not in heading and "&amp;" not in heading
    for label in panel.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_a_width_change_alone_lays_the_rows_out_again(qtbot: QtBot, panel: ResultsPanel) -> None:
    """As when the splitter beside the list moves: QListView's Adjust mode reacts only to
    height changes in a top-to-bottom list, the view itself re-lays out on a new width."""
    show_at(qtbot, panel, 1400, 600)
    wide = row_height(panel, 2)
    panel.resize(800, 600)
    QCoreApplication.processEvents()
    assert row_height(panel, 2) > wide
    assert row_height(panel, 2) >= needed(panel, HITS[2].snippet) - 3


def test_file_icons_are_looked_up_once_per_extension(qtbot: QtBot) -> None:
    asked: list[str] = []

    class Provider:
        def icon(self, info: QFileInfo) -> QIcon:
            asked.append(info.fileName())
            return QIcon()

    delegate = ResultDelegate()
    delegate._provider = Provider()  # type: ignore[assignment]
    for path in ("/a/x.pdf", "/b/y.PDF", "/c/z.txt", "/d/w.pdf"):
        assert delegate.icon(path).isNull()  # null: the row paints the type badge
    assert asked == ["x.pdf", "z.txt"]


def test_a_narrow_row_keeps_the_folder_and_leaves_out_size_and_date(qtbot: QtBot) -> None:
    """Seen at 800x500: " · page 2 · 202…" with the folder elided away entirely."""
    found = FileHit(
        "/home/ann/projects/solar/reports/panels.pdf", 0.5, "panels.pdf", "x", [], 2, 0, "pdf",
        1.7e9, 1700, relevance=0.8,
    )  # fmt: skip
    metrics = QFontMetrics(QLabel().font())
    wide = ResultDelegate.meta_text(found, metrics, 2000)
    assert wide.startswith("/home/ann/projects/solar/reports  ·  page 2  ·  ")
    assert wide.endswith(human_size(1700))
    narrow = ResultDelegate.meta_text(
        found, metrics, metrics.horizontalAdvance("reports · page 2 · x")
    )
    assert narrow.startswith("reports") and "page 2" in narrow
    assert human_size(1700) not in narrow
    assert metrics.horizontalAdvance(narrow) <= metrics.horizontalAdvance("reports · page 2 · x")
