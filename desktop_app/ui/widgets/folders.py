"""The folders panel: the indexed folders with their counts, add (picker or drop) and remove."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class FoldersPanel(QWidget):
    add_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.list = QListWidget()
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.pick_folder)
        self.remove_button.clicked.connect(self._remove_selected)
        self.list.currentItemChanged.connect(
            lambda item, _: self.remove_button.setEnabled(item is not None)
        )

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder to index")
        if folder:
            self.add_requested.emit(folder)

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(0x0100))

    def set_status(self, status: dict[str, Any], pending: int = 0) -> None:
        current = self.list.currentItem()
        selected = current.data(0x0100) if current else None
        self.list.clear()
        for folder in status["folders"]:
            text = (
                f"{folder['path']}\n  {folder['indexed']} indexed"
                + (f", {folder['failed']} failed" if folder["failed"] else "")
                + ("" if folder["exists"] else "  — folder not found")
            )
            item = QListWidgetItem(text)
            item.setData(0x0100, folder["path"])
            self.list.addItem(item)
            if folder["path"] == selected:
                self.list.setCurrentItem(item)

    @property
    def folders(self) -> list[str]:
        return [self.list.item(i).data(0x0100) for i in range(self.list.count())]
