"""The results list: a Qt model over search hits and a delegate that paints each hit.

The delegate draws the file name, its folder, the snippet with the query words in bold (from
the highlight ranges the engine computed), page and date, and a small bar for relevance.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop_app.engine.pathnames import display

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 92
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


class ResultsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.hits: list[Any] = []

    def set_hits(self, hits: list[Any]) -> None:
        self.beginResetModel()
        self.hits = list(hits)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(display(hit.path))
        if role == Qt.ItemDataRole.ToolTipRole:
            return display(hit.path)
        if role == HIT_ROLE:
            return hit
        return None


class ResultDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        hit = index.data(HIT_ROLE)
        if hit is None:
            return
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
            )
        rect = option.rect.adjusted(8, 6, -8, -6)
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        # type badge
        badge = QRect(rect.left(), rect.top(), 44, 20)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#3b6ea5"))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("white"))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 0.8)
        painter.setFont(font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, type_label(hit.file_type))
        # relevance bar
        bar = QRect(rect.right() - 40, rect.top() + 6, 40, 6)
        painter.setBrush(QColor("#d0d7de"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRect(bar)
        painter.setBrush(QColor("#2da44e"))
        painter.drawRect(QRect(bar.left(), bar.top(), int(40 * max(0.0, min(hit.score, 1.0))), 6))
        # name, folder, meta, snippet
        left = rect.left() + 52
        width = rect.width() - 52 - 48
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        color = text_color.name()
        meta = dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d") if hit.modified else ""
        if hit.page:
            meta = f"page {hit.page} · {meta}"
        shown = display(hit.path)
        doc.setHtml(
            f"<div style='color:{color}'><b>{html.escape(os.path.basename(shown))}</b>"
            f"&nbsp;&nbsp;<span style='color:gray'>"
            f"{html.escape(os.path.basename(os.path.dirname(shown)))}"
            f"&nbsp;·&nbsp;{html.escape(meta)}</span><br>"
            f"<span>{marked_html(hit.snippet, hit.highlights)}</span></div>"
        )
        doc.setTextWidth(width)
        painter.translate(left, rect.top() - 4)
        doc.drawContents(painter, QRect(0, 0, width, rect.height() + 4))
        painter.restore()
