"""The problems dialog: files that could not be indexed, why, and a retry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desktop_app.engine.pathnames import display

if TYPE_CHECKING:
    from desktop_app.engine.status import FileProblem

REASONS = {
    "corrupt": "damaged or unreadable format",
    "encrypted": "password-protected",
    "no_text": "no text in it",
    "too_large": "larger than the size limit",
    "timeout": "took too long to read",
    "unreadable": "cannot be opened",
    "unsupported": "not a document",
    "truncated": "indexed in part: very long",
}


class ProblemsDialog(QDialog):
    retry_requested = Signal(list)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be indexed")
        self.resize(760, 360)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["File", "Problem", "Detail"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.retry_button = QPushButton("Retry selected")
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.retry_button.clicked.connect(self._retry)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def set_failures(self, failures: Sequence[FileProblem]) -> None:
        """Show failed files and files indexed with a caveat (``notices``: truncated)."""
        self.table.setRowCount(len(failures))
        for row, failure in enumerate(failures):
            reason = REASONS.get(failure.reason, failure.reason)
            for col, text in enumerate((display(failure.path), reason, failure.message)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, failure.path)  # the key, for retry
                self.table.setItem(row, col, item)

    def _retry(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        items = [self.table.item(r, 0) for r in rows]
        paths = [item.data(Qt.ItemDataRole.UserRole) for item in items if item is not None]
        if paths:
            self.retry_requested.emit(paths)
