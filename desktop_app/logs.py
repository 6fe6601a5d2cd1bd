"""Logging set-up: a rotating file in the log dir, warnings and errors also on stderr.

Called once by the entry point, never at import time, so tests and library users keep control
of logging. Log lines never contain document text (only paths, counts and reasons).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from desktop_app import paths

LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    log_dir = paths.ensure_dir(paths.log_dir())
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / "desktop-search.log", maxBytes=2 * 1024 * 1024, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(file_handler)
    # A windowed program (the Windows GUI executable, a macOS .app) has no stderr at all.
    if sys.stderr is not None:
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(console)
