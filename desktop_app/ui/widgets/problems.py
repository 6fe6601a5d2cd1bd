"""The problems dialog: files that could not be indexed, why, and a retry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desktop_app.engine.pathnames import display
from desktop_app.ui.widgets.tables import tidy_table

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
#: What the Problem column says of an empty file (the engine records ``no_text``, "the file
#: is empty"): nothing went wrong with it, there is just nothing in it to find.
EMPTY = "empty"


def describe(problem: FileProblem) -> tuple[str, str]:
    """The Problem and Detail columns for ``problem``, in plain words."""
    if problem.reason == "no_text" and "empty" in problem.message.lower():
        return EMPTY, "nothing in it to search"
    return REASONS.get(problem.reason, problem.reason.replace("_", " ")), problem.message


class ProblemsDialog(QDialog):
    """Files that failed or were indexed with a caveat; an empty state when there are none."""

    retry_requested = Signal(list)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be indexed")
        self.resize(760, 360)
        self.table = tidy_table(["File", "Problem", "Detail"], Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        self.empty = QLabel(
            "<h3>Nothing went wrong</h3><p>Every file indexed so far was read without trouble. "
            "A file that cannot be read (damaged, password-protected, too large) would be "
            "listed here, with the reason and a retry.</p>"
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.retry_button = QPushButton("Retry selected")
        self.retry_button.setToolTip("Index the selected files again")
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.retry_button.clicked.connect(self._retry)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        layout.addWidget(buttons)
        self.set_failures([])

    def set_failures(self, failures: Sequence[FileProblem]) -> None:
        """Show failed files and files indexed with a caveat (``notices``: truncated)."""
        selected = set(self.selected_paths())
        self.table.setRowCount(len(failures))
        for row, failure in enumerate(failures):
            problem, detail = describe(failure)
            for col, text in enumerate((display(failure.path), problem, detail)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, failure.path)  # the key, for retry
                self.table.setItem(row, col, item)
            if failure.path in selected:
                self.table.selectRow(row)
        self.stack.setCurrentWidget(self.table if failures else self.empty)
        self.retry_button.setVisible(bool(failures))
        self._fit_columns()
        self._selection_changed()

    def _fit_columns(self) -> None:
        """Problem and Detail as wide as their text (Detail at most half the table, the rest
        in its tooltip); the file takes what is left, its path elided in the middle."""
        for col in (1, 2):
            self.table.resizeColumnToContents(col)
        most = max(240, self.table.viewport().width() // 2)
        if self.table.columnWidth(2) > most:
            self.table.setColumnWidth(2, most)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()

    def selected_paths(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        items = [self.table.item(r, 0) for r in rows]
        return [item.data(Qt.ItemDataRole.UserRole) for item in items if item is not None]

    def _selection_changed(self) -> None:
        self.retry_button.setEnabled(bool(self.selected_paths()))

    def _retry(self) -> None:
        paths = self.selected_paths()
        if paths:
            self.retry_requested.emit(paths)
