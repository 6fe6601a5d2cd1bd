"""Filter chips: small rounded labels with a close cross, laid out in rows that wrap.

A chip says one active filter ("Type: PDF", "Folder: docs (x)"); its cross removes it. The
flow layout wraps chips to a new line when the width runs out, so a row of them never makes
the window wider than it is.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLayout, QLayoutItem, QWidget

from desktop_app.ui.colors import mix
from desktop_app.ui.widgets.elided import ElidedLabel


class FlowLayout(QLayout):
    """Items left to right, wrapping to a new line when the width runs out (never wider)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        """The widest item's minimum: a chip elides rather than widen the window."""
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Lay the visible items out in ``rect`` (when ``move``); the height they take."""
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            width = min(hint.width(), rect.width())
            if x > rect.x() and x + width > rect.right() + 1:
                x, y, line = rect.x(), y + line + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += width + self._gap
            line = max(line, hint.height())
        return y + line - rect.y()


class _CloseButton(QAbstractButton):
    """The chip's close cross: a cross drawn in the text colour, on a round tint when hovered."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Remove this filter")
        self.setAccessibleName(f"Remove filter {name}")
        self.setFixedSize(16, 16)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        if self.underMouse() or self.hasFocus():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(mix(palette.color(QPalette.ColorRole.Window), text, 0.25))
            painter.drawEllipse(self.rect().adjusted(0, 0, -1, -1))
        painter.setPen(QPen(text, 1.4))
        r = self.rect().adjusted(5, 5, -5, -5)
        painter.drawLine(r.topLeft(), r.bottomRight())
        painter.drawLine(r.topRight(), r.bottomLeft())


class Chip(QWidget):
    """One filter ("Type: PDF") and its close cross, on a rounded tint of the highlight colour."""

    def __init__(self, label: str, tooltip: str, on_remove: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName("filterChip")
        self.label = ElidedLabel(label, Qt.TextElideMode.ElideMiddle, shortest="M…M")
        self.close_button = _CloseButton(label)
        self.close_button.clicked.connect(on_remove)
        self.setToolTip(tooltip)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 2, 4, 2)
        row.setSpacing(4)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button)

    def text(self) -> str:
        return self.label.text()

    def minimumSizeHint(self) -> QSize:
        return QSize(90, super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        window = palette.color(QPalette.ColorRole.Window)
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(mix(window, accent, 0.55), 1))
        painter.setBrush(mix(window, accent, 0.18))
        box = self.rect().adjusted(0, 0, -1, -1)
        radius = box.height() / 2
        painter.drawRoundedRect(box, radius, radius)
