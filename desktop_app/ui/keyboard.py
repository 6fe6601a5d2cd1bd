"""Moving between the search box and the results list with the keyboard.

In the search box: Esc clears it, Down moves into the results. In the results: Esc, or Up on
the first row, goes back to the box, and typing (or Backspace) goes on in the box, the key
delivered there so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListView

#: Modifiers that make a key a command rather than text.
COMMAND_MODIFIERS = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


def is_typing(event: QKeyEvent) -> bool:
    """Printable text (or Backspace), with no Ctrl, Alt or Meta held."""
    if event.modifiers() & COMMAND_MODIFIERS:
        return False
    text = event.text()
    return event.key() == Qt.Key.Key_Backspace or (bool(text) and text.isprintable())


class SearchKeys(QObject):
    """An event filter on the search box and the results list (see the module's docstring)."""

    def __init__(self, box: QLineEdit, results: QListView, clear: Callable[[], None]) -> None:
        super().__init__(box)
        self.box = box
        self.results = results
        self.clear = clear
        box.installEventFilter(self)
        results.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if watched is self.box:
            return self._in_box(event)
        if watched is self.results:
            return self._in_results(event)
        return False

    def _in_box(self, event: QKeyEvent) -> bool:
        model = self.results.model()
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            return True
        if event.key() == Qt.Key.Key_Down and model is not None and model.rowCount() > 0:
            self.results.setFocus()
            if not self.results.currentIndex().isValid():
                self.results.setCurrentIndex(model.index(0, 0))
            return True
        return False

    def _in_results(self, event: QKeyEvent) -> bool:
        key = event.key()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key == Qt.Key.Key_Escape or (key == Qt.Key.Key_Up and plain and self._on_first_hit()):
            self.back_to_box()
            return True
        if is_typing(event):
            self.back_to_box()
            QCoreApplication.sendEvent(self.box, event)  # the key itself, as if typed there
            return True
        return False

    def _on_first_hit(self) -> bool:
        """No selectable row above the current one (group headers above it do not count)."""
        model, row = self.results.model(), self.results.currentIndex().row()
        enabled = Qt.ItemFlag.ItemIsEnabled
        return model is None or not any(
            model.flags(model.index(r, 0)) & enabled for r in range(max(row, 0))
        )

    def back_to_box(self) -> None:
        """Focus the box with the cursor at the end of the query (nothing selected)."""
        self.box.setFocus()
        self.box.deselect()
        self.box.end(False)
