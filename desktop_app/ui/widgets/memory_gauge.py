"""The memory gauge: the app's resident memory against its budget, coloured by pressure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from desktop_app.engine.memory import MemoryStatus

COLORS = {"ok": "#2da44e", "elevated": "#d29922", "critical": "#cf222e"}
MB = 1024 * 1024


class MemoryGauge(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.reading: MemoryStatus | None = None
        self.setMinimumWidth(150)
        self.setToolTip("Memory: waiting for the engine")

    def sizeHint(self) -> QSize:
        return QSize(170, 18)

    @property
    def level(self) -> str:
        return self.reading.level.value if self.reading else "ok"

    def set_reading(self, reading: MemoryStatus) -> None:
        self.reading = reading
        self.setToolTip(
            f"App: {reading.rss // MB} MB of a {reading.budget // MB} MB budget\n"
            f"  model weights (memory-mapped): {reading.model_bytes // MB} MB\n"
            f"  index, caches and the rest: {max(0, reading.rss - reading.model_bytes) // MB} MB\n"
            f"System: {reading.available // MB} MB available of {reading.total // MB} MB\n"
            f"Pressure: {reading.level.value}"
        )
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()  # the system's colours: legible in light and dark themes
        rect = self.rect().adjusted(1, 3, -1, -3)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRect(rect)
        if self.reading:
            share = min(1.0, self.reading.rss / max(1, self.reading.budget))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(COLORS.get(self.level, COLORS["ok"])))
            painter.drawRect(
                QRect(
                    rect.left() + 1,
                    rect.top() + 1,
                    int((rect.width() - 1) * share),
                    rect.height() - 1,
                )
            )
            painter.setPen(palette.color(QPalette.ColorRole.Text))
            painter.drawText(
                rect,
                Qt.AlignmentFlag.AlignCenter,
                f"{self.reading.rss // MB} / {self.reading.budget // MB} MB",
            )
        painter.end()
