"""Colours derived from the palette, and how legible two colours are together.

Every colour the window paints itself (muted text, a chip's tint, a selected row's folder
line) is a mix of two palette colours, so light and dark desktops both get a fitting one; the
WCAG contrast ratio is how such a mix is checked for legibility, here and in the tests.
"""

from __future__ import annotations

from PySide6.QtGui import QColor


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved by ``t`` (0..1) towards ``b``, opaque: a muted colour for either palette."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def luminance(colour: QColor) -> float:
    """WCAG relative luminance of an sRGB colour (0 black, 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio: 1 (none) to 21 (black on white); 4.5 is legible body text."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
