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
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.widgets.tables import tidy_table

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


def state_text(row: ModelRow) -> str:
    """What the state column says: in use, installed, or available with its download size."""
    if row.current:
        return "In use"
    if row.installed:
        return "Installed"
    return f"Available, {row.size / MB:,.0f} MB" if row.url else "Not installed"


class ModelsDialog(QDialog):
    """One row per model; its action (Use, Download) is a button in the row."""

    COLUMNS = ("Model", "State", "Dimensions", "About", "")
    ACTION = 4

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.runner = bridge.runner
        self.setWindowTitle("Embedding models")
        self.resize(780, 340)
        self.table = tidy_table(self.COLUMNS, Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.progress = QProgressBar()
        self.progress.hide()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.add_button = QPushButton("Add GGUF file…")
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.cancel_button)
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
        self.cancel_button.clicked.connect(self.runner.cancel_download)
        queued = Qt.ConnectionType.QueuedConnection
        bridge.models_changed.connect(self.set_models, queued)
        bridge.download_progress.connect(self._on_progress, queued)
        bridge.download_done.connect(self._on_download_done, queued)
        self.rows: list[ModelRow] = []
        self.downloading = ""
        self.runner.list_models()

    def set_models(self, rows: Sequence[ModelRow]) -> None:
        self.rows = list(rows)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            state = "Downloading…" if row.id == self.downloading else state_text(row)
            cells = (row.id, state, str(row.dimension), row.description)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{row.id}: {row.description}\n{state_text(row)}")
                if col == 1 and row.current:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if col == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, col, item)
            self.table.removeCellWidget(i, self.ACTION)
            action = self._action(row)
            if action is not None:
                self.table.setCellWidget(i, self.ACTION, action)

    def _action(self, row: ModelRow) -> QWidget | None:
        if row.current:
            return None
        if row.installed:
            button = QPushButton("Use")
            button.setToolTip(f"Switch to {row.id}: the index is built again with it")
            button.clicked.connect(lambda: self._use(row))
        elif row.url:
            button = QPushButton("Download")
            button.setToolTip(f"Download {row.id} ({row.size / MB:,.0f} MB)")
            button.setEnabled(not self.downloading)
            button.clicked.connect(lambda: self._download(row))
        else:
            return None
        button.setObjectName(f"action:{row.id}")
        return button

    def row_button(self, model_id: str) -> QPushButton | None:
        """The action button in ``model_id``'s row (none for the model in use)."""
        for i, row in enumerate(self.rows):
            if row.id == model_id:
                widget = self.table.cellWidget(i, self.ACTION)
                return widget if isinstance(widget, QPushButton) else None
        return None

    def _add_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a GGUF embedding model", "", "GGUF models (*.gguf)"
        )
        if path:
            self.runner.add_model(path)

    def _download(self, row: ModelRow) -> None:
        self.downloading = row.id
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.info.setText(f"Downloading {row.id}…")
        self.set_models(self.rows)  # its state reads Downloading; other downloads wait
        self.runner.download_model(row.id)

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
        self.info.setText(f"Downloading {self.downloading}: {done / MB:.1f} of {total / MB:.1f} MB")

    def _on_download_done(self, model_id: str, error: str) -> None:
        self.downloading = ""
        self.progress.hide()
        self.cancel_button.hide()
        self.info.setText(
            f"Download of {model_id} failed: {error}" if error else f"{model_id} is installed."
        )
        self.set_models(self.rows)
        self.runner.list_models()

    def _use(self, row: ModelRow) -> None:
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
