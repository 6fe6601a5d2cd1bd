"""Handing a file to the desktop's default application: the GUI's only way to open one.

Qt's strings are Unicode, so a file name that is not valid UTF-8 (a Latin-1 name on a Linux
USB stick, see ``engine/pathnames.py``) cannot travel in a ``QUrl``: Qt would open another
name or none. Such a name is given, as its exact bytes, to the desktop's opener program
(``xdg-open``, a fixed argument list, no shell). Every other name goes through
``QDesktopServices``. Both report failure, so the window can say a file could not be opened.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from desktop_app.engine.pathnames import is_exact, os_path


def open_externally(path_key: str) -> bool:
    """Open a file or folder (an index key, as results carry) with the default application."""
    target = os_path(path_key)
    if is_exact(path_key) or sys.platform in ("win32", "darwin"):
        return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(target)))
    return _open_raw_name(target)


def _open_raw_name(target: str) -> bool:
    """``xdg-open`` with the name's bytes (``subprocess`` encodes the surrogate escapes back)."""
    program = shutil.which("xdg-open")
    if program is None:
        return False
    try:
        process = subprocess.Popen(
            [program, target],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    # xdg-open exits once the application is launched: reap it then (no zombie left behind).
    threading.Thread(target=process.wait, name="opener-reaper", daemon=True).start()
    return True
