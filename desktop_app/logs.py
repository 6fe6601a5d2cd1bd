"""Logging set-up: a rotating file in the log dir, warnings and errors also on stderr.

Called once by the entry point, never at import time, so tests and library users keep control
of logging. Log lines never contain document text (only paths, counts and reasons).
"""

from __future__ import annotations

import contextlib
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

    #: True while writes fail (a full disk): one warning line, then silence until it heals.
    failing = False
    _failed_now = False

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)
        if self.failing and not self._failed_now:
            self.failing = False  # written again: the next failure is worth a warning

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (full disk, quota, a vanished drive) must not print a
        ``--- Logging error ---`` traceback for every line, nor stop the app: say so once on
        stderr and drop lines until a write succeeds (the file is reopened for each try)."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        self._failed_now = True
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
        if not self.failing:
            self.failing = True
            if sys.stderr is not None:
                print(
                    f"warning: cannot write the log file {self.baseFilename} "
                    f"({error.strerror or error}); log lines are dropped until it can be",
                    file=sys.stderr,
                )

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):  # a file an older version created keeps its mode otherwise
            os.fchmod(fd, 0o600)
        # Always append: RotatingFileHandler forces mode "a" whenever it rotates.
        return open(fd, "a", encoding=self.encoding, errors=self.errors or "backslashreplace")


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
        # A file name that is not UTF-8 must not fail the line (see engine/pathnames.py).
        if isinstance(sys.stderr, TextIOWrapper):
            sys.stderr.reconfigure(errors="backslashreplace")
        console = logging.StreamHandler()
        console.setLevel(logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(console)
