"""The menu bar, its shortcuts, and the two Help dialogs (Keyboard shortcuts, About).

Each command with a key has it on its ``QAction``, so the menus show it and the shortcuts
dialog lists it from the same place. Standard keys come from the platform where it has one
(Quit, Preferences); elsewhere the fallback given here is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app import __version__, paths

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from PySide6.QtCore import QPoint

    from desktop_app.engine.models import InstalledModel

DialogT = TypeVar("DialogT", bound=QDialog)

NATIVE = QKeySequence.SequenceFormat.NativeText
#: Keys handled by the search box and the results list (no action carries them).
FIXED_KEYS = [
    ("Enter", "Search now; in the results, open the file"),
    ("Down", "From the search box, into the results"),
    ("Up (on the first result)", "Back to the search box"),
    ("Typing (in the results)", "Goes on in the search box"),
    ("Esc", "In the results, back to the search box; in the box, clear it"),
]
LICENCES = [
    ("Qt / PySide6", "LGPLv3"),
    ("llama.cpp", "MIT"),
    ("LanceDB", "Apache-2.0"),
    ("all-MiniLM-L6-v2 (the default model)", "Apache-2.0"),
]


def standard_keys(key: QKeySequence.StandardKey, fallback: str) -> list[QKeySequence]:
    """The platform's keys for ``key``, or ``fallback`` where the platform has none."""
    return QKeySequence.keyBindings(key) or [QKeySequence(fallback)]


def keys_text(sequences: list[QKeySequence]) -> str:
    return ", ".join(s.toString(NATIVE) for s in sequences if not s.isEmpty())


def action_label(action: QAction) -> str:
    return action.text().replace("&", "").rstrip("…").strip()


class Menus:
    """The window's menu bar: File (settings, models, problems, repair, quit) and Help."""

    def __init__(self, window: QMainWindow, handlers: dict[str, Callable[[], object]]) -> None:
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.settings = self._add(file_menu.addAction("&Settings…"), handlers["settings"])
        self.settings.setShortcuts(standard_keys(QKeySequence.StandardKey.Preferences, "Ctrl+,"))
        self.models = self._add(file_menu.addAction("&Models…"), handlers["models"])
        self.problems = self._add(file_menu.addAction("&Problems…"), handlers["problems"])
        self.repair = self._add(
            file_menu.addAction("Check and &Repair the Index"), handlers["repair"]
        )
        file_menu.addSeparator()
        self.quit = self._add(file_menu.addAction("&Quit"), handlers["quit"])
        self.quit.setShortcuts(standard_keys(QKeySequence.StandardKey.Quit, "Ctrl+Q"))
        help_menu = bar.addMenu("&Help")
        self.shortcuts = self._add(help_menu.addAction("&Keyboard Shortcuts"), handlers["keys"])
        self.shortcuts.setShortcuts([QKeySequence("F1")])
        self.about = self._add(help_menu.addAction("&About Desktop Search"), handlers["about"])
        self.about.setMenuRole(QAction.MenuRole.AboutRole)

    @staticmethod
    def _add(action: QAction, handler: Callable[[], object]) -> QAction:
        action.triggered.connect(lambda _checked=False: handler())
        return action

    def rows(self, focus_keys: list[QKeySequence]) -> list[tuple[str, str]]:
        """Every shortcut as (keys, what it does): the actions', then the fixed ones."""
        rows = [(keys_text(focus_keys), "Go to the search box")]
        for action in (self.settings, self.quit, self.shortcuts):
            rows.append((keys_text(action.shortcuts()), action_label(action)))
        return rows + FIXED_KEYS


class ShortcutsDialog(QDialog):
    """Help > Keyboard Shortcuts: a two-column list of keys and what they do."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        for row, (keys, what) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(what))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        width = sum(self.table.columnWidth(c) for c in range(2)) + 60
        height = self.table.horizontalHeader().height() + sum(
            self.table.rowHeight(r) for r in range(len(rows))
        )
        self.resize(max(460, width), height + 90)

    def texts(self) -> list[tuple[str, str]]:
        table = self.table
        items = [(table.item(r, 0), table.item(r, 1)) for r in range(table.rowCount())]
        return [(a.text() if a else "", b.text() if b else "") for a, b in items]


def about_text(model: InstalledModel | None) -> str:
    """The About dialog's text: version, model in use, data folder and licences."""
    if model is None:
        in_use = "Model: not loaded yet"
    else:
        in_use = f"Model: {model.id} ({model.dimension} dimensions)\n{model.path}"
    licences = "\n".join(f"  {name}: {licence}" for name, licence in LICENCES)
    return (
        f"Desktop Search {__version__}\n"
        "Searches your documents by meaning and by keyword, on this computer.\n\n"
        f"{in_use}\n\n"
        f"Data folder (index, models):\n{paths.data_dir()}\n\n"
        f"Main components and their licences:\n{licences}"
    )


class AboutDialog(QDialog):
    def __init__(self, model: InstalledModel | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Desktop Search")
        self.label = QLabel(about_text(model))
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)


def show(dialog: DialogT) -> DialogT:
    """Show a modeless dialog that deletes itself when closed; return it."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def popup_menu(
    parent: QWidget, actions: Sequence[tuple[str, Callable[[], object]]], where: QPoint
) -> QMenu:
    """A context menu of ``(label, handler)`` entries, popped up at ``where`` (global)."""
    menu = QMenu(parent)
    for label, handler in actions:
        action = QAction(label, menu)
        action.triggered.connect(lambda _checked=False, h=handler: h())
        menu.addAction(action)
    menu.popup(where)
    return menu
