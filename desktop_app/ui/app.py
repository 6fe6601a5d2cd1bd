"""Start the Qt application and the (for now minimal) main window.

The window is shown first; locating the model reads GGUF metadata, so it runs in a worker
thread and its answer crosses to the GUI thread through a queued signal. A missing model is
explained in the window rather than on a console the user may never see.
"""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from desktop_app import __version__, paths


class _ModelProbe(QObject):
    """Finds the configured model off the GUI thread and reports it as text."""

    found = Signal(str)

    def start(self) -> None:
        threading.Thread(target=self._run, name="model-probe", daemon=True).start()

    def _run(self) -> None:
        from desktop_app.engine.models import ModelError, find_model
        from desktop_app.settings import Settings

        try:
            model = find_model(Settings.load()["model_id"] or None)
        except ModelError as exc:
            self.found.emit(f"No usable embedding model: {exc}")
            return
        self.found.emit(
            f"Model: {model.id} (dimension {model.dimension}, window {model.window} tokens)\n"
            f"{model.path}"
        )


class MainWindow(QMainWindow):
    """Placeholder window: which model is loaded and where the data lives."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(f"Desktop Search {__version__}")
        self.model_label = QLabel("Looking for the embedding model…")
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_label.setWordWrap(True)
        self.data_label = QLabel(f"Data: {paths.data_dir()}")
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.model_label)
        layout.addWidget(self.data_label)
        layout.addStretch()
        self.setCentralWidget(body)
        self.resize(720, 240)
        self._probe = _ModelProbe(self)
        self._probe.found.connect(self.model_label.setText)

    def start(self) -> None:
        self._probe.start()


def run_gui() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    window = MainWindow()
    window.show()
    window.start()
    return int(app.exec())
