"""Logging set-up: a rotating file in the log dir, warnings and errors also on stderr.

Called once by the entry point, never at import time, so tests and library users keep control
of logging. Log lines never contain document text (only paths, counts and reasons).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from io import TextIOWrapper

from desktop_app import paths

LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file readable by the user only (0600), whatever the umask.

    Logs hold paths and file names, which can be private; the log folder is already 0700,
    and the file is too in case it is copied out or the folder's mode is loosened. Rotation
    renames the file, so the rotated copies keep the mode.
    """

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):  # a file an older version created keeps its mode otherwise
            os.fchmod(fd, 0o600)
        # Always append: RotatingFileHandler forces mode "a" whenever it rotates.
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    log_dir = paths.ensure_dir(paths.log_dir())
    file_handler = PrivateRotatingFileHandler(
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
