"""The results list: a Qt model over search hits and a delegate that paints each hit.

The delegate draws the file's icon (its type badge when the desktop has none), its name, its
folder, page, date and size, the snippet with the query words in bold (from the highlight
ranges the engine computed) and a small bar for the hit's calibrated relevance. A row is as
tall as its text laid out at the list's width: names and folders are elided, the snippet wraps
and stops after ``SNIPPET_LINES`` lines with an ellipsis, so nothing is cut mid-line and the
list never needs a horizontal scrollbar. Strong hits come first; weak ones (below the
``min_relevance`` setting) wait behind one last row, "Show N weaker matches", until it is
activated, and are then painted subdued.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QFileInfo,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileIconProvider,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from desktop_app.engine.pathnames import display

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
#: On the "Show N weaker matches" row: N. None on a hit's row.
MORE_ROLE = Qt.ItemDataRole.UserRole + 2
MORE_ROW_HEIGHT = 40
BAR_WIDTH = 40
#: A row's padding, the icon's column on the left and the relevance bar's on the right.
MARGIN_X, MARGIN_Y, ICON_COLUMN, BAR_COLUMN = 8, 6, 52, 48
ICON_SIZE = 32
#: The snippet wraps to the list's width and stops after this many lines, with an ellipsis.
SNIPPET_LINES = 3
STRONG_BAR = QColor("#2da44e")
BADGE = QColor("#3b6ea5")
_TYPE_LABELS = {
    "pdf": "PDF",
    "docx": "Word",
    "pptx": "Slides",
    "xlsx": "Sheet",
    "email": "Mail",
    "html": "Web",
    "code": "Code",
    "markdown": "MD",
    "epub": "Book",
    "text": "Text",
}

_Index = QModelIndex | QPersistentModelIndex


def marked_html(text: str, ranges: list[tuple[int, int]] | list[list[int]]) -> str:
    """``text`` as HTML with the highlight ranges in bold."""
    out: list[str] = []
    pos = 0
    for start, end in sorted((int(a), int(b)) for a, b in ranges):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def type_label(file_type: str) -> str:
    return _TYPE_LABELS.get(file_type, file_type[:5].upper() or "FILE")


def bar_width(hit: FileHit, full: int = BAR_WIDTH) -> int:
    """Pixels of the relevance bar filled for ``hit``: its calibrated relevance, not its rank."""
    return round(full * max(0.0, min(float(hit.relevance), 1.0)))


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``: the count with its noun in the right number."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def weaker_label(count: int) -> str:
    return f"Show {plural(count, 'weaker match', 'weaker matches')}"


def human_size(n: int) -> str:
    """A file size for people: ``512 bytes``, ``2 KB``, ``1.5 MB``, ``5 GB`` (1 KB = 1024 bytes).

    One decimal below 10 units when it is not zero; never "0 KB" for a file that has bytes."""
    if n < 1024:
        return plural(max(n, 0), "byte")
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "TB":
            break
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix('.0')} {unit}"


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved by ``t`` (0..1) towards ``b``, opaque: a muted colour for either palette."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


class ResultsModel(QAbstractListModel):
    """Rows: the strong hits, then the weak ones once revealed, else one "Show N" row."""

    def __init__(self) -> None:
        super().__init__()
        #: Every hit of the response, strong first (engine order within each group).
        self.hits: list[FileHit] = []
        self.revealed = False
        self._rows: list[FileHit | None] = []  # hits, and None for the "Show N weaker matches" row

    def set_hits(self, hits: list[FileHit]) -> None:
        """A new answer: its weak hits start hidden."""
        self.beginResetModel()
        self.hits = [h for h in hits if not h.weak] + [h for h in hits if h.weak]
        self.revealed = False
        self._rows = self._layout()
        self.endResetModel()

    @property
    def weak_count(self) -> int:
        return sum(1 for h in self.hits if h.weak)

    @property
    def strong_count(self) -> int:
        return len(self.hits) - self.weak_count

    def reveal(self) -> int:
        """Show the weak hits in place of the "Show N" row; returns the first one's row."""
        if self.revealed or not self.weak_count:
            return -1
        self.beginResetModel()  # also drops the view's persistent index of the "Show N" row
        self.revealed = True
        self._rows = self._layout()
        self.endResetModel()
        return self.strong_count

    def is_more_row(self, index: _Index) -> bool:
        return index.isValid() and index.data(MORE_ROLE) is not None

    def _layout(self) -> list[FileHit | None]:
        rows: list[FileHit | None] = list(self.hits)
        if self.revealed or not self.weak_count:
            return rows
        return [*rows[: self.strong_count], None]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        hit = self._rows[index.row()]
        if hit is None:
            if role == MORE_ROLE:
                return self.weak_count
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return weaker_label(self.weak_count)
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Matches below the minimum relevance set in Settings"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(display(hit.path))
        if role == Qt.ItemDataRole.ToolTipRole:
            return display(hit.path)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            weak = ", a weaker match" if hit.weak else ""
            return f"relevance {hit.relevance:.0%}{weak}"
        if role == HIT_ROLE:
            return hit
        return None


class RowColors(NamedTuple):
    """The colours a row's parts are painted in."""

    text: QColor  # name and snippet
    secondary: QColor  # folder, page, date, size
    ground: QColor


def row_colors(palette: QPalette, selected: bool, weak: bool) -> RowColors:
    """On the selected row the palette's highlighted text, and a mix of it for the secondary
    text: readable on the highlight colour in light and dark palettes alike."""
    role = QPalette.ColorRole
    text = palette.color(role.HighlightedText if selected else role.Text)
    ground = palette.color(role.Highlight if selected else role.Base)
    if weak:  # subdued, never faint: about 4.5:1 against the row in light and dark
        text = mix(text, ground, 0.25 if selected else 0.45)
        return RowColors(text, text, ground)
    return RowColors(text, mix(text, ground, 0.2 if selected else 0.4), ground)


def _plain(text: str) -> str:
    """One line per snippet: line breaks and tabs become spaces (offsets unchanged)."""
    return text.translate({10: 32, 13: 32, 9: 32, 11: 32, 12: 32})


def _bold_ranges(
    ranges: list[tuple[int, int]] | list[list[int]], length: int
) -> list[QTextLayout.FormatRange]:
    bold = QTextCharFormat()
    bold.setFontWeight(QFont.Weight.Bold)
    out = []
    for a, b in sorted((int(a), int(b)) for a, b in ranges):
        start, end = max(a, 0), min(b, length)
        if end > start:
            fr = QTextLayout.FormatRange()
            fr.start, fr.length, fr.format = start, end - start, bold
            out.append(fr)
    return out


def snippet_layout(
    text: str, ranges: list[tuple[int, int]] | list[list[int]], font: QFont, width: int
) -> tuple[QTextLayout, int, float]:
    """``text`` wrapped to ``width`` (at word boundaries, anywhere in a word too long for a
    line), the highlights in bold: the layout, its number of lines and its height."""
    layout = QTextLayout(text, font)
    layout.setFormats(_bold_ranges(ranges, len(text)))
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    y = 0.0
    lines = 0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(width, 1))
        line.setPosition(QPointF(0, y))
        y += line.height()
        lines += 1
    layout.endLayout()
    return layout, lines, y


def fitted_snippet(
    text: str,
    ranges: list[tuple[int, int]] | list[list[int]],
    font: QFont,
    width: int,
    max_lines: int = SNIPPET_LINES,
) -> str:
    """``text``, or its longest start (cut at a word when one is near) with "…" that fits in
    ``max_lines`` lines at ``width``."""
    text = _plain(text).strip()
    if snippet_layout(text, ranges, font, width)[1] <= max_lines:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest cut whose text and ellipsis fit
        mid = (lo + hi + 1) // 2
        if snippet_layout(text[:mid].rstrip() + "…", ranges, font, width)[1] <= max_lines:
            lo = mid
        else:
            hi = mid - 1
    space = text.rfind(" ", 0, lo + 1)
    if space > lo - 20 and space > 0:
        lo = space
    return text[:lo].rstrip() + "…"


class ResultDelegate(QStyledItemDelegate):
    """Paints a hit's row; its height is its text laid out at the list's current width."""

    def __init__(self, parent: QAbstractItemView | None = None) -> None:
        super().__init__(parent)
        self._icons: dict[str, QIcon] = {}
        self._snippets: dict[tuple[str, int, str, int, str], str] = {}
        self._provider: QFileIconProvider | None = None

    @staticmethod
    def fonts(base: QFont) -> tuple[QFont, QFont]:
        """The name's font (bold) and the folder, date and size's (a little smaller)."""
        name = QFont(base)
        name.setBold(True)
        meta = QFont(base)
        meta.setPointSizeF(base.pointSizeF() * 0.9)
        return name, meta

    @staticmethod
    def text_width(row_width: int) -> int:
        """The width of a row's text column: between the icon and the relevance bar."""
        return max(row_width - 2 * MARGIN_X - ICON_COLUMN - BAR_COLUMN, 40)

    def snippet(self, hit: FileHit, font: QFont, width: int) -> str:
        """The hit's snippet as shown at ``width``: whole, or cut with an ellipsis."""
        key = (hit.path, hit.chunk_index, hit.snippet, width, font.key())
        shown = self._snippets.get(key)
        if shown is None:
            if len(self._snippets) > 4000:  # widths seen while the window was resized
                self._snippets.clear()
            shown = fitted_snippet(hit.snippet, hit.highlights, font, width)
            self._snippets[key] = shown
        return shown

    def row_height(self, hit: FileHit, row_width: int, font: QFont) -> int:
        """Pixels a row needs for ``hit`` at ``row_width``: name, meta line, snippet."""
        name_font, meta_font = self.fonts(font)
        width = self.text_width(row_width)
        height: float = QFontMetrics(name_font).height() + 2 + QFontMetrics(meta_font).height()
        shown = self.snippet(hit, font, width)
        if shown:
            height += 4 + snippet_layout(shown, hit.highlights, font, width)[2]
        return max(int(height + 0.999), ICON_SIZE) + 2 * MARGIN_Y

    @staticmethod
    def row_width(option: QStyleOptionViewItem) -> int:
        view = option.widget
        if isinstance(view, QAbstractItemView):
            return int(view.viewport().width())
        return option.rect.width() if option.rect.width() > 0 else 600

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        hit = index.data(HIT_ROLE)
        if hit is None:
            more = QFontMetrics(option.font).height() + 2 * MARGIN_Y + 8
            return QSize(0, max(MORE_ROW_HEIGHT, more))  # as wide as the view
        return QSize(0, self.row_height(hit, self.row_width(option), option.font))

    def icon(self, path: str) -> QIcon:
        """The desktop's icon for the file's type, one lookup per extension; null if none."""
        ext = os.path.splitext(path)[1].lower()
        icon = self._icons.get(ext)
        if icon is None:
            if self._provider is None:
                self._provider = QFileIconProvider()
            icon = self._provider.icon(QFileInfo(path))
            self._icons[ext] = icon
        return icon

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        hit = index.data(HIT_ROLE)
        more = index.data(MORE_ROLE)
        if hit is None and more is None:
            return
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colors = row_colors(option.palette, selected, bool(hit is not None and hit.weak))
        if hit is None:
            self._paint_more(painter, option, index, colors, selected)
        else:
            self._paint_hit(painter, option, hit, colors, selected)
        painter.restore()

    def _paint_more(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: _Index,
        colors: RowColors,
        selected: bool,
    ) -> None:
        rect = option.rect.adjusted(MARGIN_X, 0, -MARGIN_X, 0)
        if index.row() > 0:  # a rule between the strong hits and the way to the weaker ones
            painter.setPen(mix(colors.text, colors.ground, 0.75))
            painter.drawLine(rect.left(), rect.top(), rect.right(), rect.top())
        link = colors.text if selected else option.palette.color(QPalette.ColorRole.Link)
        painter.setPen(link)
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        label = rect.adjusted(ICON_COLUMN, 0, 0, 0)
        text = QFontMetrics(font).elidedText(
            f"{index.data()}  ▾", Qt.TextElideMode.ElideRight, label.width()
        )
        painter.drawText(label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_icon(
        self, painter: QPainter, rect: QRect, hit: FileHit, colors: RowColors, selected: bool
    ) -> None:
        weak = bool(hit.weak)
        icon = self.icon(display(hit.path))
        if not icon.isNull():
            mode = QIcon.Mode.Selected if selected else QIcon.Mode.Normal
            if weak:
                painter.setOpacity(0.55)
            icon.paint(painter, QRect(rect.left() + 6, rect.top(), ICON_SIZE, ICON_SIZE), mode=mode)
            painter.setOpacity(1.0)
            return
        # no icon from the desktop: the type badge, filled when strong, an outline when weak
        badge = QRect(rect.left(), rect.top(), 44, 20)
        font = QFont(painter.font())
        font.setPointSizeF(font.pointSizeF() * 0.8)
        painter.setFont(font)
        if weak:
            painter.setPen(colors.text)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(badge.adjusted(0, 0, -1, -1), 4, 4)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE)
            painter.drawRoundedRect(badge, 4, 4)
            painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, type_label(hit.file_type))

    @staticmethod
    def meta_text(hit: FileHit, metrics: QFontMetrics, width: int) -> str:
        """ "folder · page N · date · size", the folder elided in its middle to fit ``width``."""
        shown = display(hit.path)
        tail = [f"page {hit.page}"] if hit.page else []
        if hit.modified:
            tail.append(dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d"))
        tail.append(human_size(hit.size))
        after = "  ·  " + "  ·  ".join(tail)
        room = max(width - metrics.horizontalAdvance(after), 0)
        folder = os.path.dirname(shown)
        if metrics.horizontalAdvance(folder) > room:  # too narrow: the folder's own name
            folder = metrics.elidedText(os.path.basename(folder), Qt.TextElideMode.ElideRight, room)
        return metrics.elidedText(folder + after, Qt.TextElideMode.ElideRight, width)

    def _paint_hit(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: FileHit,
        colors: RowColors,
        selected: bool,
    ) -> None:
        rect = option.rect.adjusted(MARGIN_X, MARGIN_Y, -MARGIN_X, -MARGIN_Y)
        self._paint_icon(painter, rect, hit, colors, selected)
        # relevance bar: the calibrated relevance, green when strong, grey when weak
        bar = QRect(rect.right() - BAR_WIDTH, rect.top() + 6, BAR_WIDTH, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(colors.text, colors.ground, 0.8))
        painter.drawRect(bar)
        painter.setBrush(mix(colors.text, colors.ground, 0.3) if hit.weak else STRONG_BAR)
        painter.drawRect(QRect(bar.left(), bar.top(), bar_width(hit), bar.height()))
        # name, then folder · page · date · size, then the snippet
        left = rect.left() + ICON_COLUMN
        width = self.text_width(option.rect.width())
        name_font, meta_font = self.fonts(option.font)
        name_metrics, meta_metrics = QFontMetrics(name_font), QFontMetrics(meta_font)
        top = rect.top()
        painter.setFont(name_font)
        painter.setPen(colors.text)
        name = name_metrics.elidedText(
            os.path.basename(display(hit.path)), Qt.TextElideMode.ElideRight, width
        )
        painter.drawText(QRect(left, top, width, name_metrics.height()), 0, name)
        top += name_metrics.height() + 2
        painter.setFont(meta_font)
        painter.setPen(colors.secondary)
        meta = self.meta_text(hit, meta_metrics, width)
        painter.drawText(QRect(left, top, width, meta_metrics.height()), 0, meta)
        top += meta_metrics.height() + 4
        shown = self.snippet(hit, option.font, width)
        if shown:
            layout = snippet_layout(shown, hit.highlights, option.font, width)[0]
            painter.setPen(colors.text)
            layout.draw(painter, QPointF(left, top))
