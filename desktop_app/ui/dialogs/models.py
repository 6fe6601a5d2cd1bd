"""The models dialog: installed and downloadable models, add a GGUF file, switch models.

Switching asks first and says what it will cost: every chunk is embedded again with the new
model, into a new index beside the old one (vectors of two models are never mixed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.bridge import EngineBridge

if TYPE_CHECKING:
    from desktop_app.engine.models import ModelRow

#: Chunks per second assumed for the cost estimate before anything was measured (MiniLM here).
DEFAULT_RATE = 15.0
MB = 1024 * 1024


def switch_cost(chunks: int, rate: float, current_dim: int, new_dim: int) -> str:
    """A sentence saying how long re-embedding the index will take, roughly."""
    seconds = chunks / max(rate, 0.1) * max(1.0, new_dim / max(1, current_dim))
    if seconds < 90:
        span = f"about {max(1, round(seconds))} seconds"
    elif seconds < 5400:
        span = f"about {round(seconds / 60)} minutes"
    else:
        span = f"about {seconds / 3600:.1f} hours"
    return (
        f"All {chunks:,} passages will be embedded again with the new model: {span} on "
        "this machine. Searching keeps working meanwhile, over what is already re-indexed."
    )


class ModelsDialog(QDialog):
    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.runner = bridge.runner
        self.setWindowTitle("Embedding models")
        self.resize(780, 340)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Model", "Dimension", "Size", "State", "About"])
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.progress = QProgressBar()
        self.progress.hide()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.add_button = QPushButton("Add GGUF file…")
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.hide()
        self.use_button = QPushButton("Use this model")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.download_button, self.cancel_button, self.use_button):
            buttons.addWidget(button)
        buttons.addStretch()
        close = QPushButton("Close")
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.progress)
        layout.addWidget(self.info)
        layout.addLayout(buttons)

        close.clicked.connect(self.accept)
        self.add_button.clicked.connect(self._add_file)
        self.download_button.clicked.connect(self._download)
        self.cancel_button.clicked.connect(self.runner.cancel_download)
        self.use_button.clicked.connect(self._use)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        queued = Qt.ConnectionType.QueuedConnection
        bridge.models_changed.connect(self.set_models, queued)
        bridge.download_progress.connect(self._on_progress, queued)
        bridge.download_done.connect(self._on_download_done, queued)
        self.rows: list[ModelRow] = []
        self.runner.list_models()
        self._selection_changed()

    def set_models(self, rows: Sequence[ModelRow]) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            state = "in use" if row.current else "installed" if row.installed else "download"
            cells = (row.id, str(row.dimension), f"{row.size / MB:.0f} MB", state, row.description)
            for col, text in enumerate(cells):
                self.table.setItem(i, col, QTableWidgetItem(text))
        self._selection_changed()

    def selected(self) -> ModelRow | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.rows[rows.pop()] if len(rows) == 1 else None

    def _selection_changed(self) -> None:
        row = self.selected()
        self.download_button.setEnabled(bool(row and not row.installed and row.url))
        self.use_button.setEnabled(bool(row and row.installed and not row.current))

    def _add_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a GGUF embedding model", "", "GGUF models (*.gguf)"
        )
        if path:
            self.runner.add_model(path)

    def _download(self) -> None:
        row = self.selected()
        if row is not None:
            self.progress.setRange(0, 0)
            self.progress.show()
            self.cancel_button.show()
            self.download_button.setEnabled(False)
            self.runner.download_model(row.id)

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        self.info.setText(f"Downloading: {done / MB:.1f} of {total / MB:.1f} MB")

    def _on_download_done(self, model_id: str, error: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.info.setText(
            f"Download of {model_id} failed: {error}" if error else f"{model_id} is installed."
        )
        self.runner.list_models()

    def _use(self) -> None:
        row = self.selected()
        if row is None:
            return
        cost = switch_cost(
            self.bridge.chunk_count,
            self.bridge.embed_rate or DEFAULT_RATE,
            self.bridge.dimension,
            row.dimension,
        )
        answer = QMessageBox.question(
            self, "Switch the embedding model?", f"Switch to {row.id}?\n\n{cost}"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.runner.switch_model(row.id)
            self.accept()
