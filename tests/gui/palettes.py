"""The two palettes the window must be legible in, and how legible a pair of colours is.

The light one is the Fusion style's own; the dark one is what a desktop in dark mode hands a
Qt application (the gallery's dark screenshot uses it too, so what is tested is what is shown).
Legibility is measured with the app's own WCAG contrast (``desktop_app.ui.colors``).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from desktop_app.ui.colors import contrast, luminance

__all__ = ["DARK", "contrast", "dark_palette", "light_palette", "luminance", "use"]

DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f1f1f",
    QPalette.ColorRole.AlternateBase: "#2b2b2b",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#2f65ca",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#353535",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8c8c8c",
    QPalette.ColorRole.Link: "#6ea8fe",
    QPalette.ColorRole.Mid: "#5a5a5a",
    QPalette.ColorRole.Midlight: "#444444",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    return palette


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    assert style is not None
    return style.standardPalette()


def use(app: QApplication, palette: QPalette) -> None:
    """Fusion with ``palette``: the platform style on a desktop that sets one."""
    app.setStyle("Fusion")
    app.setPalette(palette)
