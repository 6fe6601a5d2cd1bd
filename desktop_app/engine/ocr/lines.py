"""What an OCR backend returns: lines of text with their boxes (a module of its own so the
backends and the interface share it without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of recognised text with its box (pixels of the image it was read from)."""

    text: str
    score: float
    left: float
    top: float
    right: float
    bottom: float
    #: The vertical span of the line's left end (its box's left edge), when the backend
    #: gives the rotated box: on a slightly skewed page a long line's upright box is taller
    #: than the line and its centre drifts, so rows are told apart by where lines start.
    start_top: float | None = None
    start_bottom: float | None = None

    @property
    def row_centre(self) -> float:
        if self.start_top is not None and self.start_bottom is not None:
            return (self.start_top + self.start_bottom) / 2
        return (self.top + self.bottom) / 2

    @property
    def row_height(self) -> float:
        if self.start_top is not None and self.start_bottom is not None:
            return max(1.0, self.start_bottom - self.start_top)
        return max(1.0, self.bottom - self.top)
