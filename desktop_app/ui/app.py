"""Start the Qt application: the window first, the engine behind it.

The window is shown and painted before the engine (and lancedb and llama.cpp with it) is
created on the bridge's thread. ``--smoke-test`` opens the real window with the real engine,
waits until both are up, prints one JSON line of timings and memory in use, and exits: 0 on
success, 1 on any failure or after a time limit.
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPaintEvent
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from desktop_app import paths
from desktop_app.engine.events import EngineStarted
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow

SMOKE_TEST_TIMEOUT_S = 180


class _PaintProbe(MainWindow):
    """The main window, noting when it first painted (for the smoke test's timing)."""

    painted_at: float | None = None

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.painted_at is None:
            self.painted_at = time.perf_counter()


def _make_tray(
    app: QApplication, window: MainWindow, bridge: EngineBridge
) -> QSystemTrayIcon | None:
    """A tray icon to bring the window back or quit; ``None`` where there is no tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app.windowIcon(), app)
    menu = QMenu(window)
    menu.addAction("Show Desktop Search").triggered.connect(window.showNormal)
    menu.addAction("Pause indexing").triggered.connect(lambda: bridge.runner.set_paused(True))
    menu.addAction("Resume indexing").triggered.connect(lambda: bridge.runner.set_paused(False))
    menu.addSeparator()
    menu.addAction("Quit").triggered.connect(app.quit)
    tray.setContextMenu(menu)
    tray.activated.connect(lambda _: window.showNormal())
    tray.show()
    app.setQuitOnLastWindowClosed(False)
    return tray


def _tree_rss() -> int:
    """Resident memory of the app and its worker processes (the smoke test reports it)."""
    import psutil

    me = psutil.Process()
    total = 0
    for process in [me, *me.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def apply_look(app: QApplication) -> None:
    """The window icon and the style sheet, from the resources (a missing file is no error)."""
    resources = paths.resources_dir()
    icon = resources / "icons" / "desktop-search.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    style = resources / "style" / "app.qss"
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))


def run_gui(smoke_test: bool = False, started: float | None = None) -> int:
    started = started if started is not None else time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Desktop Search")
    apply_look(app)
    settings = Settings.load()
    bridge = EngineBridge()
    window = _PaintProbe(bridge)
    tray = _make_tray(app, window, bridge) if settings["keep_running_in_tray"] else None
    window.keep_in_tray = tray is not None
    if settings["start_minimized"] and not smoke_test:
        window.showMinimized()
    else:
        window.show()
    outcome: dict[str, object] = {}

    if smoke_test:

        def on_ready(info: EngineStarted) -> None:
            app.processEvents()
            shown = window.painted_at or time.perf_counter()
            outcome.update(
                window_shown_ms=round((shown - started) * 1000),
                engine_ready_ms=round((time.perf_counter() - started) * 1000),
                model=info.model.id,
                rss_mb=round(_tree_rss() / 2**20),
            )
            app.quit()

        def on_failed(message: str) -> None:
            outcome["error"] = message
            app.quit()

        bridge.engine_ready.connect(on_ready)
        bridge.engine_failed.connect(on_failed)
        QTimer.singleShot(
            SMOKE_TEST_TIMEOUT_S * 1000,
            lambda: (outcome.setdefault("error", "timed out"), app.quit()),
        )
    # Start the engine only once the event loop runs: the first paint comes first.
    QTimer.singleShot(0, bridge.start)
    # Quitting (File > Quit, the tray's Quit, the last window closed) ends the event loop
    # with aboutToQuit: the bridge stops its threads and closes the engine while Qt and Python
    # are both whole. The call after exec() covers a loop that ended any other way; a second
    # call does nothing.
    app.aboutToQuit.connect(bridge.shutdown)
    try:
        code = int(app.exec())
    finally:
        bridge.shutdown()
    if smoke_test:
        if "error" in outcome or "model" not in outcome:
            print(json.dumps({"error": outcome.get("error", "no result")}), file=sys.stderr)
            return 1
        print(json.dumps(outcome))
    return code
