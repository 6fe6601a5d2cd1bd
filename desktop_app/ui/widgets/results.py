"""The results list: a Qt model over search hits and a delegate that paints each hit.

The delegate draws the file name, its folder, the snippet with the query words in bold (from
the highlight ranges the engine computed), page and date, and a small bar for the hit's
calibrated relevance. Strong hits come first; weak ones (below the ``min_relevance`` setting)
wait behind one last row, "Show N weaker matches", until it is activated, and are then painted
subdued.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QTextDocument, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.engine.pathnames import display

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
#: On the "Show N weaker matches" row: N. None on a hit's row.
MORE_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_HEIGHT = 92
MORE_ROW_HEIGHT = 40
BAR_WIDTH = 40
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


def weaker_label(count: int) -> str:
    return f"Show {count} weaker match" if count == 1 else f"Show {count} weaker matches"


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


class ResultDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        more = index.data(MORE_ROLE) is not None
        return QSize(0, MORE_ROW_HEIGHT if more else ROW_HEIGHT)  # as wide as the view

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
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        Role = QPalette.ColorRole
        text_color = palette.color(Role.HighlightedText if selected else Role.Text)
        ground = palette.color(Role.Highlight if selected else Role.Base)
        if hit is None:
            self._paint_more(painter, option, index, text_color, ground, selected)
        else:
            self._paint_hit(painter, option, hit, text_color, ground, selected)
        painter.restore()

    def _paint_more(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: _Index,
        text: QColor,
        ground: QColor,
        selected: bool,
    ) -> None:
        rect = option.rect.adjusted(8, 0, -8, 0)
        if index.row() > 0:  # a rule between the strong hits and the way to the weaker ones
            painter.setPen(mix(text, ground, 0.75))
            painter.drawLine(rect.left(), rect.top(), rect.right(), rect.top())
        link = text if selected else option.palette.color(QPalette.ColorRole.Link)
        painter.setPen(link)
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            rect.adjusted(52, 0, 0, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            f"{index.data()}  ▾",
        )

    def _paint_hit(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        hit: FileHit,
        text: QColor,
        ground: QColor,
        selected: bool,
    ) -> None:
        rect = option.rect.adjusted(8, 6, -8, -6)
        weak = bool(hit.weak)
        if weak:  # subdued, never faint: about 4.5:1 against the row in light and dark
            text = mix(text, ground, 0.25 if selected else 0.45)
        meta_color = text if weak else mix(text, ground, 0.4)
        # type badge: filled for a strong hit, an outline for a weak one
        badge = QRect(rect.left(), rect.top(), 44, 20)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 0.8)
        painter.setFont(font)
        if weak:
            painter.setPen(text)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(badge.adjusted(0, 0, -1, -1), 4, 4)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE)
            painter.drawRoundedRect(badge, 4, 4)
            painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, type_label(hit.file_type))
        # relevance bar: the calibrated relevance, green when strong, grey when weak
        bar = QRect(rect.right() - BAR_WIDTH, rect.top() + 6, BAR_WIDTH, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(text, ground, 0.8))
        painter.drawRect(bar)
        painter.setBrush(mix(text, ground, 0.3) if weak else STRONG_BAR)
        painter.drawRect(QRect(bar.left(), bar.top(), bar_width(hit), bar.height()))
        # name, folder, meta, snippet
        left = rect.left() + 52
        width = rect.width() - 52 - 48
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        wrap = doc.defaultTextOption()
        wrap.setWrapMode(QTextOption.WrapMode.WordWrap)  # a narrow list breaks no date apart
        doc.setDefaultTextOption(wrap)
        meta = dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d") if hit.modified else ""
        if hit.page:
            meta = f"page {hit.page} · {meta}"
        shown = display(hit.path)
        doc.setHtml(
            f"<div style='color:{text.name()}'><b>{html.escape(os.path.basename(shown))}</b>"
            f"&nbsp;&nbsp;<span style='color:{meta_color.name()}'>"
            f"{html.escape(os.path.basename(os.path.dirname(shown)))}"
            f"&nbsp;·&nbsp;{html.escape(meta)}</span><br>"
            f"<span>{marked_html(hit.snippet, hit.highlights)}</span></div>"
        )
        doc.setTextWidth(width)
        painter.translate(left, rect.top() - 4)
        doc.drawContents(painter, QRect(0, 0, width, rect.height() + 4))
