"""Paints the results list's rows: hits, section headers and "Show N weaker matches".

A hit's row shows the file's icon (its type badge when the desktop has none), its name, its
folder, page, date and size, the snippet with the query words in bold (from the highlight
ranges the engine computed) and a small bar for the hit's calibrated relevance. A row is as
tall as its text laid out at the list's width: names and folders are elided, the snippet wraps
and stops after ``SNIPPET_LINES`` lines with an ellipsis, so nothing is cut mid-line and the
list never needs a horizontal scrollbar. Weak hits are painted subdued. Every colour comes from
the palette (or is mixed from two of its colours), so light and dark themes both read.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QFileInfo, QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt
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
from desktop_app.ui.colors import contrast, mix
from desktop_app.ui.widgets.results import HEADER_ROLE, HIT_ROLE, MORE_ROLE, human_size, type_label

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit
    from desktop_app.ui.widgets.results import Section

MORE_ROW_HEIGHT = 40
BAR_WIDTH = 40
#: A row's padding, the icon's column on the left and the relevance bar's on the right.
MARGIN_X, MARGIN_Y, ICON_COLUMN, BAR_COLUMN = 8, 6, 52, 48
ICON_SIZE = 32
#: The snippet wraps to the list's width and stops after this many lines, with an ellipsis.
SNIPPET_LINES = 3
#: Space above a section header that follows other rows: groups read as groups.
HEADER_GAP = 8
STRONG_BAR = QColor("#2da44e")
BADGE = QColor("#3b6ea5")

_Index = QModelIndex | QPersistentModelIndex


def bar_width(hit: FileHit, full: int = BAR_WIDTH) -> int:
    """Pixels of the relevance bar filled for ``hit``: its calibrated relevance, not its rank."""
    return round(full * max(0.0, min(float(hit.relevance), 1.0)))


class RowColors(NamedTuple):
    """The colours a row's parts are painted in."""

    text: QColor  # name and snippet
    secondary: QColor  # folder, page, date, size
    ground: QColor


#: The least contrast of a row's secondary text (folder, date, size) with its ground: WCAG's
#: figure for text that is not the main reading.
SECONDARY_CONTRAST = 3.0


def row_colors(palette: QPalette, selected: bool, weak: bool) -> RowColors:
    """On the selected row the palette's highlighted text, and a mix of it for the secondary
    text: readable on the highlight colour in light and dark palettes alike."""
    role = QPalette.ColorRole
    text = palette.color(role.HighlightedText if selected else role.Text)
    ground = palette.color(role.Highlight if selected else role.Base)
    if weak:  # subdued, never faint: at least 3:1 against the row in light and dark
        text = subdued(text, ground, 0.25 if selected else 0.45)
        return RowColors(text, text, ground)
    return RowColors(text, subdued(text, ground, 0.2 if selected else 0.4), ground)


def subdued(text: QColor, ground: QColor, t: float) -> QColor:
    """``text`` mixed ``t`` towards ``ground``, less where that would fall under 3:1 (a pale
    selection colour such as Fusion's light one leaves little room)."""
    for share in (t, t / 2, 0.0):
        colour = mix(text, ground, share)
        if contrast(colour, ground) >= SECONDARY_CONTRAST:
            return colour
    return text


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

    @staticmethod
    def header_font(base: QFont) -> QFont:
        """A section header's font: bold, a little smaller than a file's name."""
        font = QFont(base)
        font.setBold(True)
        font.setPointSizeF(base.pointSizeF() * 0.9)
        return font

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        if index.data(HEADER_ROLE) is not None:
            gap = HEADER_GAP if index.row() > 0 else 0
            return QSize(0, QFontMetrics(self.header_font(option.font)).height() + 8 + gap)
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
        section = index.data(HEADER_ROLE)
        if section is not None:
            painter.save()
            self._paint_header(painter, option, index, section)
            painter.restore()
            return
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

    def _paint_header(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index, section: Section
    ) -> None:
        """The group's name and count over a thin rule, in a mix of the text and base colours.

        A header row is disabled (so the keyboard skips it), and the view hands the delegate
        the palette's disabled colours for it: the active group's are asked for by name."""
        group, role = QPalette.ColorGroup.Active, QPalette.ColorRole
        text = option.palette.color(group, role.Text)
        ground = option.palette.color(group, role.Base)
        rect = option.rect.adjusted(MARGIN_X, HEADER_GAP if index.row() > 0 else 0, -MARGIN_X, 0)
        painter.fillRect(option.rect, ground)
        font = self.header_font(option.font)
        painter.setFont(font)
        painter.setPen(mix(text, ground, 0.55 if section.weak else 0.3))
        label = QFontMetrics(font).elidedText(
            section.text, Qt.TextElideMode.ElideMiddle, rect.width()
        )
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        painter.setPen(mix(text, ground, 0.8))
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())

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
        """ "folder · page N · date · size" fitted to ``width``: the folder first shrinks to
        its own name (elided), then size and date are left out, so a narrow row still says
        where the file is rather than "· page 2 · 20…"."""
        folder = os.path.dirname(display(hit.path))
        name = os.path.basename(folder) or folder
        page = [f"page {hit.page}"] if hit.page else []
        date = (
            [dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d")] if hit.modified else []
        )
        least = min(metrics.horizontalAdvance(name), metrics.horizontalAdvance("M" * 8))
        for tail in (page + date + [human_size(hit.size)], page + date, page):
            after = "".join(f"  ·  {part}" for part in tail)
            room = width - metrics.horizontalAdvance(after)
            if metrics.horizontalAdvance(folder) <= room:
                return folder + after
            if room >= least:
                return metrics.elidedText(name, Qt.TextElideMode.ElideRight, room) + after
        return metrics.elidedText(name + after, Qt.TextElideMode.ElideRight, width)

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
