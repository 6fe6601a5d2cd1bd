"""The settings dialog, generated from the declarations in :mod:`desktop_app.settings`.

Each setting is declared once (type, default, bounds, help text); this dialog builds its editor
from that declaration, so a new setting appears here without touching the UI (on the Advanced
tab until :data:`GROUPS` places it). Folders and the model have their own places in the window
and are left out. Each editor has its help text on a line under it; durations and sizes are
spin boxes in plain units (" s", " MB") within the declared bounds; the two lists (exclusions,
paused folders) are lists with Add and Remove buttons.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.settings import SETTINGS, Setting

HIDDEN = {"folders", "model_id"}
#: Settings read once when the engine starts.
NEEDS_RESTART = {"threads", "store_uri", "distance_metric"}
#: The tab of each setting, in the order shown; a setting not listed goes to Advanced.
GROUPS: dict[str, tuple[str, ...]] = {
    "General": ("min_relevance", "start_minimized", "keep_running_in_tray"),
    "Indexing": (
        "exclude_patterns",
        "paused_folders",
        "skip_hidden",
        "follow_symlinks",
        "max_file_size_mb",
        "extract_timeout_s",
        "watch_debounce_s",
    ),
    "Memory": (
        "memory_budget_mb",
        "memory_min_available_mb",
        "idle_unload_s",
        "threads",
        "extract_workers",
    ),
    "Scanned documents": (
        "ocr_enabled",
        "ocr_excluded_folders",
        "ocr_max_pages",
        "ocr_page_timeout_s",
        "ocr_languages",
    ),
    "Advanced": ("store_uri", "distance_metric", "max_chunks_per_file"),
}
LABELS = {
    "min_relevance": "Weak match below",
    "start_minimized": "Start minimised",
    "keep_running_in_tray": "Keep running in the tray",
    "store_uri": "Index location",
    "exclude_patterns": "Excluded from indexing",
    "paused_folders": "Paused folders",
    "skip_hidden": "Skip hidden files",
    "follow_symlinks": "Follow symbolic links",
    "max_file_size_mb": "Largest file",
    "max_chunks_per_file": "Passages per file at most",
    "extract_timeout_s": "Time limit per file",
    "extract_workers": "Extraction processes",
    "memory_budget_mb": "Memory budget",
    "memory_min_available_mb": "Keep free for the system",
    "idle_unload_s": "Unload when idle for",
    "distance_metric": "Vector distance",
    "watch_debounce_s": "Wait after changes",
    "threads": "CPU threads",
    "ocr_enabled": "Read images and scans (OCR)",
    "ocr_excluded_folders": "Not read by OCR",
    "ocr_max_pages": "Pages per file at most",
    "ocr_page_timeout_s": "Time limit per page",
    "ocr_languages": "Languages",
}
#: What the items of a list of fixed items (``Setting.items``) are called in the window.
ITEM_LABELS = {
    "ocr_languages": {"en": "English and other Latin-script languages", "zh": "Chinese"},
}
#: A shorter help line where the declaration's text runs to a paragraph (which stays the tooltip).
HELP = {
    "idle_unload_s": "After this long without indexing or searching, the model and the helper "
    "processes are unloaded and their memory is returned to the system.",
}
#: What the lowest value of a spin box means, shown in its place.
SPECIAL = {"threads": "Automatic (one per core)", "idle_unload_s": "Never (keep loaded)"}


def group_of(name: str) -> str:
    return next((g for g, names in GROUPS.items() if name in names), "Advanced")


def label_of(name: str) -> str:
    text = LABELS.get(name, name.replace("_", " ").capitalize())
    return text + " *" if name in NEEDS_RESTART else text


def _suffix(name: str) -> str:
    return " MB" if name.endswith("_mb") else " s" if name.endswith("_s") else ""


class ListEditor(QWidget):
    """A list of strings with Add and Remove; ``choices`` (folders) are offered by Add."""

    def __init__(
        self, items: list[str], *, folders: bool, choices: list[str] | None = None
    ) -> None:
        super().__init__()
        self.folders = folders
        self.choices = choices or []
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMaximumHeight(84)
        for text in items:
            self._append(text)
        self.add_button = QPushButton("Add folder…" if folders else "Add pattern…")
        self.remove_button = QPushButton("Remove")
        for button in (self.add_button, self.remove_button):
            button.setMinimumWidth(110)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(self._update)
        self._update()

    def _append(self, text: str) -> None:
        item = QListWidgetItem(text)
        if not self.folders:
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)  # double-click to edit
        self.list.addItem(item)

    def _update(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))

    def items(self) -> list[str]:
        texts = (self.list.item(i).text().strip() for i in range(self.list.count()))
        return [t for t in texts if t]

    def add_item(self, text: str) -> None:
        text = text.strip()
        if text and text not in self.items():
            self._append(text)

    def add(self) -> None:
        if not self.folders:
            text, ok = QInputDialog.getText(
                self, "Exclude from indexing", "Pattern (.gitignore syntax, e.g. *.log or build/):"
            )
            if ok:
                self.add_item(text)
            return
        offered = [f for f in self.choices if f not in self.items()]
        if not offered:
            self.pick_folder()
            return
        menu = QMenu(self)
        for folder in offered:
            menu.addAction(folder).triggered.connect(lambda _=False, f=folder: self.add_item(f))
        menu.addSeparator()
        menu.addAction("Other folder…").triggered.connect(self.pick_folder)
        menu.exec(self.add_button.mapToGlobal(self.add_button.rect().bottomLeft()))

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Pause indexing of a folder")
        if folder:
            self.add_item(folder)

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))


class WheelGuard(QObject):
    """Sends the wheel past a number box or dropdown that has not been clicked into, to the
    page that scrolls: scrolling down the tab over "Pages per file" would otherwise change
    it (a value changed without the user seeing it)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        if watched.hasFocus():
            return False
        area = watched.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is not None:  # a forwarded wheel event is not passed up by Qt: sent there
            QCoreApplication.sendEvent(area.viewport(), event)
        return True


class CheckList(QWidget):
    """One check box per allowed item of a list setting; the last one ticked stays ticked
    (such a list may not be empty, and a dialog that refuses OK would be worse)."""

    def __init__(self, items: tuple[str, ...], chosen: list[str], labels: dict[str, str]) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for item in items:
            box = QCheckBox(labels.get(item, item))
            box.setChecked(item in chosen)
            box.toggled.connect(self._keep_one)
            layout.addWidget(box)
            self.boxes[item] = box
        self._keep_one()

    def _keep_one(self) -> None:
        ticked = [box for box in self.boxes.values() if box.isChecked()]
        for box in self.boxes.values():
            box.setEnabled(len(ticked) != 1 or box is not ticked[0])

    def items(self) -> list[str]:
        return [item for item, box in self.boxes.items() if box.isChecked()]


def _editor(name: str, setting: Setting, value: Any, folders: list[str]) -> QWidget:
    if setting.type is bool:
        box = QCheckBox(label_of(name))
        box.setChecked(bool(value))
        return box
    if setting.choices is not None:
        combo = QComboBox()
        for choice in setting.choices:
            combo.addItem(str(choice), choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo
    if setting.type is int:
        spin = QSpinBox()
        spin.setRange(int(setting.minimum or 0), int(setting.maximum or 2**31 - 1))
        spin.setSuffix(_suffix(name))
        spin.setSpecialValueText(SPECIAL.get(name, ""))
        spin.setGroupSeparatorShown(True)
        spin.setValue(int(value))
        return spin
    if setting.type is float:
        dspin = QDoubleSpinBox()
        low, high = float(setting.minimum or 0.0), float(setting.maximum or 1e9)
        whole = all(float(v).is_integer() for v in (low, high, value)) and high > 1
        dspin.setDecimals(0 if whole else 2)
        dspin.setSingleStep(1.0 if whole else 0.05)
        dspin.setRange(low, high)
        dspin.setSuffix(_suffix(name))
        dspin.setSpecialValueText(SPECIAL.get(name, ""))
        dspin.setValue(float(value))
        return dspin
    if setting.type is list and setting.items is not None:
        return CheckList(setting.items, list(value), ITEM_LABELS.get(name, {}))
    if setting.type is list:
        is_folders = name.endswith("folders")
        return ListEditor(list(value), folders=is_folders, choices=folders if is_folders else None)
    line = QLineEdit(str(value))
    line.setPlaceholderText(f"default: {setting.default or '(the data folder)'}")
    return line


def _value(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        return editor.value()
    if isinstance(editor, ListEditor | CheckList):
        return editor.items()
    assert isinstance(editor, QLineEdit)
    return editor.text().strip()


def _help_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("help")
    palette = label.palette()
    palette.setColor(
        QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
    )
    label.setPalette(palette)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    return label


class SettingsDialog(QDialog):
    """``values()`` gives setting name -> value for every setting shown (for ``apply_settings``)."""

    def __init__(self, values: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.editors: dict[str, QWidget] = {}
        self.help: dict[str, QLabel] = {}
        self._wheel_guard = WheelGuard(self)
        self.tabs = QTabWidget()
        self.pages: dict[str, QWidget] = {}
        folders = [str(f) for f in values.get("folders", [])]
        forms: dict[str, QFormLayout] = {}
        for group in GROUPS:
            forms[group] = self._add_page(group)
        names = [n for g in GROUPS.values() for n in g if n in SETTINGS]
        names += [n for n in SETTINGS if n not in names]
        for name in names:
            if name in HIDDEN:
                continue
            setting = SETTINGS[name]
            editor = _editor(name, setting, values.get(name, setting.default), folders)
            editor.setToolTip(setting.doc)
            if isinstance(editor, QSpinBox | QDoubleSpinBox | QComboBox):
                editor.setMaximumWidth(240)  # a number does not need the dialog's width
                editor.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no focus by the wheel
                editor.installEventFilter(self._wheel_guard)
            help_label = _help_label(HELP.get(name, setting.doc))
            column = QWidget()
            box = QVBoxLayout(column)
            box.setContentsMargins(0, 0, 0, 6)
            box.setSpacing(2)
            box.addWidget(editor)
            box.addWidget(help_label)
            form = forms[group_of(name)]
            if isinstance(editor, QCheckBox):
                form.addRow(column)  # the box carries its own label
            else:
                form.addRow(label_of(name), column)
            self.editors[name] = editor
            self.help[name] = help_label
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(_help_label("* takes effect the next time the app starts"))
        layout.addWidget(buttons)
        self.resize(600, 470)

    def _add_page(self, group: str) -> QFormLayout:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(page)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tabs.addTab(scroll, group)
        self.pages[group] = page
        return form

    def group_names(self, group: str) -> list[str]:
        """The settings shown on ``group``'s tab, in order."""
        page = self.pages[group]
        return [n for n, e in self.editors.items() if page.isAncestorOf(e)]

    def values(self) -> dict[str, Any]:
        return {name: _value(editor) for name, editor in self.editors.items()}
