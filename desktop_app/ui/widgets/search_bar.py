"""The search row: the box, the type / date / folder dropdowns, and a chip for every filter.

The text stays what the user typed. The filters in it (read by the engine's own tokenizer,
``filter_tokens``, so a chip is exactly a filter the search applies) and the dropdowns' choices
together make the chips under the box, each removable, so no filter is ever in force unseen.

The two sources never disagree:

* a typed ``type:``/``in:`` takes its dropdown over: the dropdown shows the typed value when it
  offers it (else its "any" entry), signals blocked, and :meth:`SearchBar.filters` leaves that
  dropdown out since the engine parses the text. A typed ``after:`` resets the date dropdown
  (the engine would let the text's date win anyway). When the token goes, so does its value;
* choosing a dropdown entry removes the typed tokens of that kind (the dropdown wins);
* ``ext:`` is a chip only: an extension is not a document family (``.md`` is one of several
  Markdown extensions), and the extension-to-family table lives in the engine's extractors.

Removing a chip, "Clear filters" or a dropdown change emits ``search_requested`` once; typing
does not (the window searches after a pause in typing, as before).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.pathnames import display
from desktop_app.ui import window_state
from desktop_app.ui.bridge import Filters, FilterToken, filter_tokens
from desktop_app.ui.folder_labels import folder_labels
from desktop_app.ui.widgets.chips import Chip, FlowLayout

#: Which dropdown each typed filter takes over (``ext:`` and ``before:`` have none).
TAKES_OVER = {"type": "type", "in": "folder", "after": "date"}
#: The order chips are shown in, whatever order they were typed in.
CHIP_ORDER = ("type", "ext", "in", "date", "after", "before")
POPUP_MAX_WIDTH = 640
#: The least width the search box keeps beside the dropdowns before they move under it.
BOX_MIN_WIDTH = 340


class SearchBar(QWidget):
    """The search box, its three dropdowns and the chips of every filter in force."""

    #: A chip was removed or a dropdown changed: the window runs the search again.
    search_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText('Search your documents…  ("phrase", -word, ext:pdf)')
        self.search_box.setClearButtonEnabled(True)
        self.type_filter = window_state.dropdown(window_state.TYPES)
        self.date_filter = window_state.dropdown(window_state.DATES)
        self.folder_filter = window_state.dropdown([("All folders", "")])
        self.folder_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.folder_filter.setMinimumContentsLength(12)
        self.combos = {
            "type": self.type_filter,
            "date": self.date_filter,
            "folder": self.folder_filter,
        }
        self._top = QHBoxLayout()
        self._top.setContentsMargins(0, 0, 0, 0)
        self._top.addWidget(self.search_box, 1)
        for combo in self.combos.values():
            combo.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            self._top.addWidget(combo)
        #: Where the dropdowns go when the bar is too narrow for them beside the box.
        self._second = QHBoxLayout()
        self._second.setContentsMargins(0, 0, 0, 0)
        self._second.addStretch(1)
        self._narrow = False

        self.chips_row = QWidget()
        self.chips_row.setObjectName("filterChips")
        self._flow = FlowLayout(self.chips_row)
        self.clear_link = QToolButton()
        self.clear_link.setObjectName("clearFilters")
        self.clear_link.setText("Clear filters")
        self.clear_link.setAutoRaise(True)
        self.clear_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.clear_link.setStyleSheet(
            "QToolButton#clearFilters { border: none; color: palette(link); padding: 2px 4px; }"
            "QToolButton#clearFilters:hover { text-decoration: underline; }"
        )
        self.clear_link.clicked.connect(self.clear_filters)
        self._chips: list[Chip] = []
        self.chips_row.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addLayout(self._top)
        column.addLayout(self._second)
        column.addWidget(self.chips_row)

        #: Dropdowns now showing what the text says (they go back to "any" with the token).
        self._mirrored: set[str] = set()
        self._folder_labels: dict[str, str] = {}
        #: A restored folder choice waiting for the folders to arrive (the first status).
        self._pending_folder: str | None = None
        self.search_box.textChanged.connect(lambda _: self._follow_text())
        for name, combo in self.combos.items():
            combo.currentIndexChanged.connect(lambda _, name=name: self._dropdown_chosen(name))

    # -- what the window reads -------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_dropdowns(event.size().width())

    def _place_dropdowns(self, width: int) -> None:
        """Beside the box when it keeps ``BOX_MIN_WIDTH`` next to them; else on a row of their
        own under it (an 800-px window with the folders pane left the box 130 px wide)."""
        combos = list(self.combos.values())
        needed = BOX_MIN_WIDTH + sum(c.sizeHint().width() + self._top.spacing() for c in combos)
        narrow = width < needed
        if narrow == self._narrow:
            return
        self._narrow = narrow
        for i, combo in enumerate(combos):
            if narrow:
                self._second.insertWidget(i, combo)
            else:
                self._top.addWidget(combo)

    def text(self) -> str:
        return self.search_box.text()

    def filters(self) -> Filters:
        """The dropdowns' filters, leaving out each one the text's own tokens decide (the
        engine parses those from the text)."""
        taken = self._taken_over()
        days = 0 if "date" in taken else int(self.date_filter.currentData() or 0)
        kind = "" if "type" in taken else str(self.type_filter.currentData() or "")
        folder = "" if "folder" in taken else str(self.folder_filter.currentData() or "")
        return Filters(
            types=[kind] if kind else [],
            folders=[folder] if folder else [],
            after=time.time() - days * 86400 if days else None,
        )

    def chips(self) -> list[str]:
        """The chips' labels, in the order shown."""
        return [chip.text() for chip in self._chips]

    def filter_values(self) -> dict[str, str]:
        """The dropdowns the user chose (not those showing a typed token), for the next start."""
        return {
            name: "" if name in self._mirrored else str(combo.currentData() or "")
            for name, combo in self.combos.items()
        }

    # -- what the window sets --------------------------------------------------------------

    def restore_filters(self, saved: dict[str, str]) -> None:
        """Show saved choices (signals blocked); the folder waits for :meth:`set_folders`."""
        for name in ("type", "date"):
            if saved.get(name):
                window_state.select(self.combos[name], saved[name])
        self._pending_folder = saved.get("folder") or None
        self._refresh()

    def set_folders(self, paths: Sequence[str]) -> None:
        """Fill the folder dropdown, keeping its choice (or the restored one) when still there."""
        current = str(self.folder_filter.currentData() or "")
        if self._pending_folder is not None:
            current, self._pending_folder = self._pending_folder, None
        self._folder_labels = folder_labels(list(paths))
        combo = self.folder_filter
        blocked = combo.blockSignals(True)
        combo.clear()
        combo.addItem("All folders", "")
        for path in paths:
            combo.addItem(self._folder_labels[path], path)
            combo.setItemData(combo.count() - 1, display(path), Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(blocked)
        widest = max(
            (combo.fontMetrics().horizontalAdvance(t) for t in self._folder_labels.values()),
            default=0,
        )
        combo.view().setMinimumWidth(min(widest + 48, POPUP_MAX_WIDTH))
        self._follow_text()

    def clear_filters(self) -> None:
        """Every filter off: typed tokens cut from the text, dropdowns back to "any"."""
        tokens = filter_tokens(self.text())
        changed = bool(tokens) or any(c.currentIndex() > 0 for c in self.combos.values())
        self._mirrored.clear()
        for combo in self.combos.values():
            _quietly(combo, 0)
        self._cut(tokens)
        self._refresh()
        if changed:
            self.search_requested.emit()

    # -- keeping text, dropdowns and chips in step ------------------------------------------

    def _taken_over(self, tokens: list[FilterToken] | None = None) -> set[str]:
        tokens = filter_tokens(self.text()) if tokens is None else tokens
        return {TAKES_OVER[t.name] for t in tokens if t.name in TAKES_OVER}

    def _follow_text(self) -> None:
        """The text changed: dropdowns show what its tokens say; chips follow."""
        tokens = filter_tokens(self.text())
        for name in ("type", "folder", "date"):
            typed = [t for t in tokens if TAKES_OVER.get(t.name) == name]
            if typed:
                value = self._dropdown_value(name, typed)
                combo = self.combos[name]
                _quietly(combo, max(0, combo.findData(value)) if value is not None else 0)
                self._mirrored.add(name)
            elif name in self._mirrored:
                _quietly(self.combos[name], 0)
                self._mirrored.discard(name)
        self._refresh(tokens)

    def _dropdown_value(self, name: str, typed: list[FilterToken]) -> str | None:
        """The dropdown entry one typed token names exactly, if the dropdown offers it."""
        if name == "date" or len(typed) != 1:
            return None
        value = typed[0].value
        value = value.lower() if name == "type" else self._folder_for(value) or ""
        return value if self.combos[name].findData(value) > 0 else None

    def _folder_for(self, value: str) -> str | None:
        """The indexed folder ``in:value`` names by its path, if any."""
        wanted = value.rstrip("/\\") or value
        return next((p for p in self._folder_labels if (p.rstrip("/\\") or p) == wanted), None)

    def _dropdown_chosen(self, name: str) -> None:
        """The user chose an entry: typed tokens of that kind give way to it."""
        self._mirrored.discard(name)
        self._cut([t for t in filter_tokens(self.text()) if TAKES_OVER.get(t.name) == name])
        self._refresh()
        self.search_requested.emit()

    def _cut(self, tokens: Sequence[FilterToken]) -> None:
        """Take these tokens out of the text, tidying the spaces they leave."""
        if not tokens:
            return
        text, cursor = self.text(), self.search_box.cursorPosition()
        for token in sorted(tokens, key=lambda t: t.start, reverse=True):
            start, end = token.start, token.end
            while end < len(text) and text[end] == " ":
                end += 1
            if end == len(text):
                while start > 0 and text[start - 1] == " ":
                    start -= 1
            text = text[:start] + text[end:]
            if cursor > start:
                cursor = max(start, cursor - (end - start))
        self.search_box.setText(text)
        self.search_box.setCursorPosition(cursor)

    def _remove_token(self, token: FilterToken) -> None:
        self._cut([token])
        self.search_requested.emit()

    def _reset_dropdown(self, name: str) -> None:
        _quietly(self.combos[name], 0)
        self._refresh()
        self.search_requested.emit()

    def _refresh(self, tokens: list[FilterToken] | None = None) -> None:
        """Rebuild the chips from the text's tokens and the dropdowns they do not cover."""
        tokens = filter_tokens(self.text()) if tokens is None else tokens
        taken = self._taken_over(tokens)
        wanted: list[tuple[str, str, str, Callable[[], None]]] = []
        for t in tokens:
            label, tip = self._token_chip(t)
            wanted.append((t.name, label, tip, partial(self._remove_token, t)))
        for name, combo in self.combos.items():
            if name in taken or combo.currentIndex() <= 0:
                continue
            label, tip = self._dropdown_chip(name, combo)
            wanted.append(
                (
                    {"folder": "in"}.get(name, name),
                    label,
                    tip,
                    partial(self._reset_dropdown, name),
                )
            )
        wanted.sort(key=lambda w: CHIP_ORDER.index(w[0]))
        for chip in self._chips:
            self._flow.removeWidget(chip)
            chip.hide()  # now: it is deleted only when the event loop next runs
            chip.deleteLater()
        self._flow.removeWidget(self.clear_link)
        self._chips = [Chip(label, tip, remove) for _, label, tip, remove in wanted]
        for chip in self._chips:
            self._flow.addWidget(chip)
            chip.show()  # at once, not when the layout's queued show comes round
        self._flow.addWidget(self.clear_link)
        self.clear_link.setVisible(len(self._chips) >= 2)
        self.chips_row.setVisible(bool(self._chips))
        self.folder_filter.setToolTip(display(str(self.folder_filter.currentData() or "")))

    def _token_chip(self, token: FilterToken) -> tuple[str, str]:
        """A typed filter's chip label and tooltip."""
        values = [v for v in token.value.split(",") if v.strip(".")]
        typed = f"Typed in the search box: {token.name}:{token.value}"
        if token.name == "type":
            names = [self._entry_label(self.type_filter, v.lower()) or v for v in values]
            return "Type: " + " or ".join(names), typed
        if token.name == "ext":
            return "Extension: " + " or ".join("." + v.lower().lstrip(".") for v in values), typed
        if token.name == "in":
            folder = self._folder_for(token.value)
            if folder is None:
                return f"Folder: {display(token.value)}", typed
            return f"Folder: {self._folder_labels[folder]}", display(folder)
        return f"{token.name.capitalize()} {token.value}", typed

    def _dropdown_chip(self, name: str, combo: QComboBox) -> tuple[str, str]:
        """A dropdown choice's chip label and tooltip."""
        if name == "type":
            return f"Type: {combo.currentText()}", "Chosen in the type list"
        if name == "date":
            return f"Since: {combo.currentText().lower()}", "Chosen in the date list"
        return f"Folder: {combo.currentText()}", display(str(combo.currentData()))

    @staticmethod
    def _entry_label(combo: QComboBox, value: str) -> str | None:
        found = combo.findData(value)
        return combo.itemText(found) if found > 0 else None


def _quietly(combo: QComboBox, index: int) -> None:
    """Show entry ``index`` without emitting: the caller decides whether a search follows."""
    blocked = combo.blockSignals(True)
    combo.setCurrentIndex(index)
    combo.blockSignals(blocked)
