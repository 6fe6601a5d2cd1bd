"""Render the real window with results to a PNG (``make screenshot``), no display needed.

Indexes the sample documents shipped in ``resources/sample`` into a throwaway data dir, runs a
search, and grabs the window through Qt's own rendering (the offscreen platform works; under
Xvfb the result is the same).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop_app import paths
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow

QUERY = "holiday with hot springs"


def main(out: str = "docs/screenshot.png") -> int:
    with tempfile.TemporaryDirectory(prefix="desktop-search-shot-") as home:
        paths.set_home(home)
        app = QApplication.instance() or QApplication(sys.argv)
        bridge = EngineBridge()
        window = MainWindow(bridge)
        window.resize(1180, 640)
        window.show()
        sample = str(Path(home) / "Documents")
        shutil.copytree(paths.resources_dir() / "sample", sample)
        finished = {"done": False}

        def ready(_: object) -> None:
            bridge.runner.add_folder(sample)

        def indexed(_: object) -> None:
            window.search_box.setText(QUERY)
            window.run_search()

        def shown(_: int, __: object) -> None:
            if finished["done"]:
                return
            finished["done"] = True
            QTimer.singleShot(300, grab)

        def grab() -> None:
            window.grab().save(out)
            app.quit()

        bridge.engine_ready.connect(ready)
        bridge.index_finished.connect(indexed)
        bridge.results.connect(shown)
        QTimer.singleShot(120_000, app.quit)
        QTimer.singleShot(0, bridge.start)
        app.exec()
        bridge.shutdown()
    if not finished["done"]:
        print("no results to show; screenshot not taken", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
