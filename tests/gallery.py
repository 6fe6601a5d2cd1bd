"""``make screenshots``: the README's gallery, rendered from the real app under a real X server.

Each picture is the real window (or dialog) with the real engine, over the sample documents in
``resources/sample`` indexed into a throwaway data folder, grabbed from the screen with its
window-manager frame, so the gallery shows what a user sees and stays true as the window
changes. Without a ``DISPLAY`` it starts ``Xvfb`` and ``openbox`` itself (both must be
installed: ``apt-get install xvfb openbox``).

Usage: ``python -m tests.gallery [OUT_DIR]`` (default ``docs/screenshots``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The X display the gallery starts when there is none.
DISPLAY = ":97"
SCREEN = "1400x900x24"
#: Frame margin kept around a grabbed window (its shadow-free border).
MARGIN = 0
WAIT_MS = 120_000


@contextmanager
def x_server() -> Iterator[None]:
    """A display to render on: the current one, or Xvfb with openbox for the duration."""
    if os.environ.get("DISPLAY"):
        yield
        return
    for tool in ("Xvfb", "openbox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: sudo apt-get install xvfb openbox")
    xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-screen", "0", SCREEN, "-nolisten", "tcp"])
    os.environ["DISPLAY"] = DISPLAY
    time.sleep(1.0)
    wm = subprocess.Popen(["openbox"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        yield
    finally:
        for process in (wm, xvfb):
            process.terminate()
            process.wait(10)


def main(out: str = "docs/screenshots") -> int:
    os.environ.pop("QT_QPA_PLATFORM", None)  # a real X server, not the offscreen platform
    with x_server(), tempfile.TemporaryDirectory(prefix="desktop-search-gallery-") as home:
        return Gallery(Path(out), Path(home)).run()


class Gallery:
    """Drives the window step by step; each step ends in one picture."""

    def __init__(self, out: Path, home: Path) -> None:
        from PySide6.QtWidgets import QApplication

        from desktop_app import paths

        paths.set_home(home)
        self.out = out
        self.home = home
        app = QApplication.instance() or QApplication(sys.argv)
        assert isinstance(app, QApplication)
        self.app = app
        self.app.setApplicationName("Desktop Search")
        self.taken: list[str] = []

    def run(self) -> int:
        from desktop_app import paths
        from desktop_app.ui.app import apply_look
        from desktop_app.ui.bridge import EngineBridge
        from desktop_app.ui.main_window import MainWindow

        apply_look(self.app)
        self.out.mkdir(parents=True, exist_ok=True)
        sample = self.home / "Documents"
        shutil.copytree(paths.resources_dir() / "sample", sample)
        (sample / "Scanned receipt.pdf").write_bytes(b"%PDF-1.4\n% a damaged file\n")
        bridge = EngineBridge()
        window = MainWindow(bridge)
        window.resize(1180, 700)
        window.show()
        self.bridge, self.window = bridge, window
        try:
            started: list[object] = []
            bridge.engine_ready.connect(started.append)
            bridge.start()
            self.wait(bridge.engine_ready)
            self.settle(500)
            self.shot("01-first-run", window)
            bridge.runner.add_folder(str(sample))
            self.wait(bridge.index_finished)
            self.settle(1500)
            self.search("holiday with hot springs")
            self.shot("02-results", window)
            self.search("how often should the solar panels be cleaned")
            window.results_view.setFocus()
            window.results_view.setCurrentIndex(window.model.index(0, 0))
            self.shot("03-preview", window)
            window.type_filter.setCurrentIndex(max(0, window.type_filter.findData("markdown")))
            self.search("bread")
            self.shot("04-filters", window)
            window.type_filter.setCurrentIndex(0)
            self.search("how often should the solar panels be cleaned")
            window.more_like_this(window.model.hits[0].path)
            self.wait(bridge.results)
            window.results_panel.reveal()  # the sample's topics differ: all are weak matches
            self.settle(400)
            self.shot("10-similar", window)
            self.dialogs()
            window.resize(800, 500)
            self.search("inverter warranty")
            self.shot("08-small-window", window)
            window.hide()
            self.dark()  # a desktop in dark mode: the palette is there when the window is made
            dark = MainWindow(bridge)
            dark.resize(1180, 700)
            dark.show()
            dark.bridge.engine_ready.emit(started[0])  # what a window made at start was told
            bridge.runner.refresh_status()
            self.wait(bridge.status_changed)
            self.window = dark
            self.search("holiday with hot springs")
            self.shot("09-dark", dark)
        finally:
            bridge.shutdown()
        print("\n".join(f"wrote {self.out / name}.png" for name in self.taken))
        return 0

    def dialogs(self) -> None:
        from desktop_app.ui.dialogs.models import ModelsDialog
        from desktop_app.ui.dialogs.settings import SettingsDialog

        settings = SettingsDialog(self.bridge.settings_values(), self.window)
        settings.show()
        self.shot("05-settings", settings)
        settings.close()
        models = ModelsDialog(self.bridge, self.window)
        models.show()
        self.wait(self.bridge.models_changed, 10_000)
        self.shot("06-models", models)
        models.close()
        problems = self.window.problems
        problems.show()
        self.shot("07-problems", problems)
        problems.close()

    def dark(self) -> None:
        """The Fusion style with a dark palette, as a desktop in dark mode gives it."""
        from tests.gui.palettes import dark_palette, use

        use(self.app, dark_palette())

    # -- driving -----------------------------------------------------------------------------

    def search(self, text: str) -> None:
        self.window.search_box.setText(text)
        self.window.run_search()
        self.wait(self.bridge.results)
        self.settle(400)

    def wait(self, signal: Any, timeout_ms: int = WAIT_MS) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)

    def settle(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shot(self, name: str, widget: Any) -> None:
        """The widget's window as the screen shows it, frame included."""
        self.settle(300)
        from PySide6.QtCore import QRect

        frame = widget.window().frameGeometry().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        screen = widget.screen()
        whole = screen.grabWindow(0)
        # The grab is in device pixels: on a high-DPI screen (QT_SCALE_FACTOR=2) twice the
        # window's logical size, which the crop must follow.
        ratio = whole.devicePixelRatio()
        at = frame.translated(-screen.geometry().topLeft())
        crop = QRect(
            round(at.x() * ratio),
            round(at.y() * ratio),
            round(at.width() * ratio),
            round(at.height() * ratio),
        )
        picture = whole.copy(crop)
        picture.save(str(self.out / f"{name}.png"))
        self.taken.append(name)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
