"""The preview pane: which file (name, folder, date, size, type), what can be done with it
(Open, Show in folder, Copy path), and its best passages laid out by ``ui/preview.py``.

The header holds the file's name once; the body never repeats it. Labels are plain text and
elided, so a long name or folder never widens the pane (it may be 300 px wide). The pane does
not open anything itself: it asks the window (``open_requested``, ``reveal_requested``), which
owns the opener and reports a failure back with ``say`` so it shows where the user looked.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.pathnames import display, os_path
from desktop_app.ui.colors import mix
from desktop_app.ui.pdf_viewers import page_command_for, page_to_open
from desktop_app.ui.preview import PreviewColors, body_html
from desktop_app.ui.widgets.elided import ElidedLabel
from desktop_app.ui.widgets.results import human_size, type_label

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit

COPIED_MS: Final = 1500
MISSING: Final = "This file is no longer there: it was moved or deleted since it was indexed."
INDENT_PX: Final = 18
STYLE: Final = "p { margin: 0 0 8px 0; } pre { margin: 0 0 8px 0; } hr { margin: 4px 0; }"


def page_colors(palette: QPalette) -> PreviewColors:
    """The page's muted text and mark background from the view's palette (light or dark)."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    return PreviewColors(muted=mix(text, base, 0.4).name(), mark=mix(highlight, base, 0.7).name())


class PreviewPane(QWidget):
    """Header, buttons and body for one result; ``clear`` leaves a calm empty state."""

    open_requested = Signal(str, int)  # the file's index key, page to open at (0: none)
    reveal_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hit: FileHit | None = None
        self.name_label = ElidedLabel(tooltip=True)
        font = self.name_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.name_label.setFont(font)
        self.folder_label = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle, tooltip=True)
        self.facts_label = ElidedLabel(tooltip=True)
        self.open_button = QPushButton("Open")
        self.reveal_button = QPushButton("Show in folder")
        self.copy_button = QPushButton("Copy path")
        self.open_button.setToolTip("Open the file with its usual application")
        self.reveal_button.setToolTip("Show the file in its folder")
        self.copy_button.setToolTip("Copy the file's full path")
        # "Copied" must not change the button's width (the row would jump).
        self.copy_button.setMinimumWidth(
            max(self.copy_button.sizeHint().width(), _text_width(self.copy_button, "Copied ✓"))
        )
        self.open_button.clicked.connect(self._open)
        self.reveal_button.clicked.connect(self._reveal)
        self.copy_button.clicked.connect(self.copy_path)
        self.notice = QLabel()
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setPlaceholderText("Select a result to see its passages here.")
        self.browser.document().setDefaultStyleSheet(STYLE)
        self.browser.document().setIndentWidth(INDENT_PX)  # Qt's 40 px is a lot at 300 px
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.timeout.connect(lambda: self.copy_button.setText("Copy path"))

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.open_button, self.reveal_button, self.copy_button):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.name_label)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.facts_label)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.notice)
        layout.addSpacing(4)
        layout.addWidget(self.browser, 1)
        self._mute_labels()
        self.clear()

    # -- what is shown -----------------------------------------------------------------------

    def show_hit(self, hit: FileHit) -> None:
        """Show ``hit``: its name, folder and facts above, its passages below. A file gone
        since it was indexed is still shown (its passages are what was found), with a note
        and Open / Show in folder off."""
        self._hit = hit
        shown = display(hit.path)
        self.name_label.setText(os.path.basename(shown) or shown)
        self.folder_label.setText(os.path.dirname(shown))
        modified = dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d %H:%M")
        self.facts_label.setText(
            f"{modified} · {human_size(hit.size)} · {type_label(hit.file_type)}"
        )
        self._copied.stop()
        self.copy_button.setText("Copy path")
        self._render()
        present = self._present()
        page = page_to_open(hit)
        at_page = page_command_for(hit.path, page) is not None
        self.open_button.setText(f"Open at page {page}" if at_page else "Open")
        self.open_button.setEnabled(present)
        self.reveal_button.setEnabled(present)
        self.copy_button.setEnabled(True)
        self.say("" if present else MISSING)

    def clear(self) -> None:
        """The empty state: no file, an empty body (its placeholder shows), buttons off."""
        self._hit = None
        for label in (self.name_label, self.folder_label, self.facts_label):
            label.setText("")
        self.browser.clear()
        for button in (self.open_button, self.reveal_button, self.copy_button):
            button.setEnabled(False)
        self.say("")

    def current_path(self) -> str | None:
        """The shown file's index key, None when nothing is shown."""
        return self._hit.path if self._hit is not None else None

    def forget_if_missing(self) -> bool:
        """Clear the pane if its file is gone (one ``stat``); the window calls it when the
        index changed. True if it cleared."""
        if self._hit is None or self._present():
            return False
        self.clear()
        return True

    def say(self, message: str) -> None:
        """A short line under the buttons (why a file could not be opened); "" hides it."""
        self.notice.setText(message)
        self.notice.setVisible(bool(message))

    # -- actions -----------------------------------------------------------------------------

    def copy_path(self) -> None:
        """Put the shown path on the clipboard and say so on the button for a moment."""
        if self._hit is None:
            return
        QGuiApplication.clipboard().setText(display(self._hit.path))
        self.copy_button.setText("Copied ✓")
        self._copied.start(COPIED_MS)

    def _open(self) -> None:
        if self._hit is not None:
            self.open_requested.emit(self._hit.path, page_to_open(self._hit))

    def _reveal(self) -> None:
        if self._hit is not None:
            self.reveal_requested.emit(self._hit.path)

    # -- internals ---------------------------------------------------------------------------

    def _present(self) -> bool:
        return self._hit is not None and os.path.exists(os_path(self._hit.path))

    def _render(self, keep_position: bool = False) -> None:
        if self._hit is None:
            return
        position = self.browser.verticalScrollBar().value()
        self.browser.setHtml(body_html(self._hit, page_colors(self.browser.palette())))
        self.browser.verticalScrollBar().setValue(position if keep_position else 0)

    def changeEvent(self, event: QEvent) -> None:
        """A palette change (light to dark) repaints the page in the new colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._mute_labels()
            self._render(keep_position=True)

    def _mute_labels(self) -> None:
        """Folder and facts a step quieter than the name, from this palette's own text and
        window colours (a palette's PlaceholderText can be far too faint on dark themes)."""
        palette = self.palette()
        quiet = mix(
            palette.color(QPalette.ColorRole.WindowText),
            palette.color(QPalette.ColorRole.Window),
            0.3,
        )
        for label in (self.folder_label, self.facts_label):
            own = label.palette()
            own.setColor(QPalette.ColorRole.WindowText, quiet)
            label.setPalette(own)


def _text_width(button: QPushButton, text: str) -> int:
    return (
        button.fontMetrics().horizontalAdvance(text)
        + 2 * button.fontMetrics().averageCharWidth()
        + 16
    )
