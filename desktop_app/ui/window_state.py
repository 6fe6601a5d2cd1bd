"""The filter dropdowns, and the window's size, position, panes and filters kept from one
start to the next.

They live in an INI file in the app's config folder (``paths.config_dir()``), not where
``QSettings`` would put them by default, so ``--data-dir`` / ``DESKTOP_SEARCH_HOME`` moves them
with everything else. Filters are kept by value (``pdf``, ``7``, a folder's path), not by
position in their dropdown; a value the dropdown no longer offers is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QComboBox, QMainWindow, QSplitter

from desktop_app import paths

FILE_NAME = "window.ini"
#: The filter dropdowns' entries: (label, value).
TYPES = [
    ("Any type", ""),
    ("PDF", "pdf"),
    ("Word", "docx"),
    ("Slides", "pptx"),
    ("Spreadsheets", "xlsx"),
    ("E-mail", "email"),
    ("Web pages", "html"),
    ("Markdown", "markdown"),
    ("Text", "text"),
    ("Code", "code"),
]
DATES = [("Any time", 0), ("Past week", 7), ("Past month", 31), ("Past year", 365)]


def dropdown(entries: list[tuple[str, Any]]) -> QComboBox:
    combo = QComboBox()
    for label, value in entries:
        combo.addItem(label, value)
    return combo


def state_file() -> Path:
    return paths.config_dir() / FILE_NAME


def _settings() -> QSettings:
    return QSettings(str(state_file()), QSettings.Format.IniFormat)


def save(window: QMainWindow, splitter: QSplitter, filters: Mapping[str, QComboBox | str]) -> None:
    """Write the window's geometry, docks, splitter and each filter's value (a dropdown's
    current one, or a value already read, e.g. ``SearchBar.filter_values()``)."""
    paths.ensure_dir(paths.config_dir())
    store = _settings()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())
    store.setValue("window/splitter", splitter.saveState())
    for name, chosen in filters.items():
        value = chosen.currentData() if isinstance(chosen, QComboBox) else chosen
        store.setValue(f"filters/{name}", str(value or ""))
    store.sync()


def restore(window: QMainWindow, splitter: QSplitter) -> dict[str, str]:
    """Restore geometry, docks and splitter; return the saved filter values by name."""
    if not state_file().is_file():
        return {}
    store = _settings()
    for key, apply in (
        ("window/geometry", window.restoreGeometry),
        ("window/state", window.restoreState),
        ("window/splitter", splitter.restoreState),
    ):
        value = store.value(key)
        if isinstance(value, QByteArray | bytes):
            apply(QByteArray(value))
    store.beginGroup("filters")
    saved = {name: str(store.value(name, "")) for name in store.childKeys()}
    store.endGroup()
    return saved


def select(combo: QComboBox, value: str) -> bool:
    """Show ``value`` in ``combo`` (matched as text: INI keeps every value as text), signals
    blocked; ``False`` (and the first entry) if the dropdown does not offer it."""
    found = next((i for i in range(combo.count()) if str(combo.itemData(i)) == value), -1)
    blocked = combo.blockSignals(True)
    combo.setCurrentIndex(max(0, found))
    combo.blockSignals(blocked)
    return found >= 0
