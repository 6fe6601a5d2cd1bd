"""The settings dialog, generated from the declarations in :mod:`desktop_app.settings`.

Each setting is declared once (type, default, bounds, description); this dialog builds its
editor from that declaration, so a new setting appears here without touching the UI. Folders
and the model have their own places in the window and are left out.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.settings import SETTINGS, Setting

HIDDEN = {"folders", "model_id"}
#: Settings read once when the engine starts.
NEEDS_RESTART = {"threads", "store_uri", "distance_metric"}
LABELS = {
    "store_uri": "Index location",
    "exclude_patterns": "Exclude (one pattern per line)",
    "skip_hidden": "Skip hidden files",
    "follow_symlinks": "Follow symbolic links",
    "max_file_size_mb": "Largest file (MB)",
    "extract_timeout_s": "Time limit per file (s)",
    "extract_workers": "Extraction processes",
    "memory_budget_mb": "Memory budget (MB)",
    "memory_min_available_mb": "Keep free for the system (MB)",
    "distance_metric": "Vector distance",
    "watch_debounce_s": "Wait after changes (s)",
    "threads": "CPU threads (0 = automatic)",
}


def _editor(setting: Setting, value: Any) -> QWidget:
    if setting.type is bool:
        box = QCheckBox()
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
        spin.setValue(int(value))
        return spin
    if setting.type is float:
        dspin = QDoubleSpinBox()
        dspin.setDecimals(2)
        dspin.setRange(float(setting.minimum or 0.0), float(setting.maximum or 1e9))
        dspin.setValue(float(value))
        return dspin
    if setting.type is list:
        text = QPlainTextEdit("\n".join(value))
        text.setFixedHeight(70)
        return text
    line = QLineEdit(str(value))
    line.setPlaceholderText(f"default: {setting.default or '(data folder)'}")
    return line


def _value(setting: Setting, editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        return editor.value()
    if isinstance(editor, QPlainTextEdit):
        return [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]
    assert isinstance(editor, QLineEdit)
    return editor.text().strip()


class SettingsDialog(QDialog):
    def __init__(self, values: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for name, setting in SETTINGS.items():
            if name in HIDDEN:
                continue
            editor = _editor(setting, values.get(name, setting.default))
            editor.setToolTip(setting.doc)
            label = LABELS.get(name, name.replace("_", " ").capitalize())
            if name in NEEDS_RESTART:
                label += " *"
            form.addRow(label, editor)
            self.editors[name] = editor
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("* takes effect the next time the app starts"))
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {name: _value(SETTINGS[name], editor) for name, editor in self.editors.items()}
