"""A one-line, plain-text label that shows what fits its width, with "…" where it is cut.

Long file names, folders and filter values must never widen a pane (a horizontal scrollbar,
a window that cannot be made small): the label asks for no width beyond ``shortest`` and is
painted elided at whatever width it gets. ``text()`` stays the whole text, for tests and
tooltips.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(
        self,
        text: str = "",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        *,
        shortest: str = "",
        tooltip: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        """``shortest``: the least it shows ("" for nothing; "M…M" keeps a chip readable),
        and then it prefers its whole width; ``tooltip``: the whole text as the tooltip."""
        super().__init__(parent)
        self._mode = mode
        self._shortest = shortest
        self._tooltip = tooltip
        self.setTextFormat(Qt.TextFormat.PlainText)
        horizontal = QSizePolicy.Policy.Preferred if shortest else QSizePolicy.Policy.Ignored
        self.setSizePolicy(horizontal, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        if self._tooltip:
            self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        width = self.fontMetrics().horizontalAdvance(self._shortest) if self._shortest else 0
        return QSize(width, super().minimumSizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), self._mode, rect.width())
        self.style().drawItemText(
            QPainter(self),
            rect,
            int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
            self.palette(),
            self.isEnabled(),
            shown,
            self.foregroundRole(),
        )
