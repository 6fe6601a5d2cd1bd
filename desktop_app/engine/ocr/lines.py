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
