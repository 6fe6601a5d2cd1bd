"""GUI fixtures: the real window over the real engine, on a temp data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop_app.engine.models import InstalledModel
from desktop_app.engine.search import SearchResponse
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow

WAIT_MS = 60_000


@pytest.fixture
def window(qtbot: QtBot, default_model: InstalledModel) -> Iterator[MainWindow]:
    bridge = EngineBridge(lambda: Engine(Settings.load(), model=default_model))
    win = MainWindow(bridge)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(bridge.engine_ready, timeout=WAIT_MS):
        bridge.start()
    yield win
    bridge.shutdown()


def add_folder(
    qtbot: QtBot, win: MainWindow, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(win.bridge.index_finished, timeout=WAIT_MS):
        qtbot.mouseClick(win.folders.add_button, Qt.MouseButton.LeftButton)

    def counted() -> bool:
        status = win.status
        return (
            status is not None
            and any(str(folder) in f.path for f in status.folders)
            and status.files.indexed + status.files.failed > 0
        )

    qtbot.waitUntil(counted, timeout=WAIT_MS)


def search(qtbot: QtBot, win: MainWindow, text: str) -> list[str]:
    with qtbot.waitSignal(win.bridge.results, timeout=WAIT_MS):
        win.search_box.setText(text)
        qtbot.keyClick(win.search_box, Qt.Key.Key_Return)
    return [hit.path for hit in win.model.hits]


def index_docs(
    qtbot: QtBot,
    win: MainWindow,
    root: Path,
    files: dict[str, str | bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """Write ``files`` into ``root`` and add it through the folder picker; wait for indexing."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (root / name).write_bytes(content)
        else:
            (root / name).write_text(content)
    add_folder(qtbot, win, root, monkeypatch)
    return root


def answer(win: MainWindow, response: SearchResponse, typed: str | None = None) -> None:
    """Play the engine's answer to a new request, as the bridge delivers it (a queued signal
    carrying the request's id); ``typed``: what the search box holds first."""
    if typed is not None:
        win.search_box.setText(typed)
    win._latest_request += 1
    win.bridge.results.emit(win._latest_request, response)
    QCoreApplication.processEvents()  # delivers the queued call
