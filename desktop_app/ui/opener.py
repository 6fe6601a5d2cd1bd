"""Handing a file to the desktop's default application: the GUI's only way to open one.

Qt's strings are Unicode, so a file name that is not valid UTF-8 (a Latin-1 name on a Linux
USB stick, see ``engine/pathnames.py``) cannot travel in a ``QUrl``: Qt would open another
name or none. Such a name is given, as its exact bytes, to the desktop's opener program
(``xdg-open``, a fixed argument list, no shell). Every other name goes through
``QDesktopServices``. Both report failure, so the window can say a file could not be opened.

Show in folder (``reveal_in_folder``) opens the file's folder with the file selected where the
desktop offers it: Finder's ``open -R`` on macOS, ``explorer /select,`` on Windows, the
freedesktop ``org.freedesktop.FileManager1.ShowItems`` D-Bus call on Linux (Files, Dolphin,
Nemo, Caja, Thunar... implement it). Where none is there, the folder itself is opened.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from typing import Final
from urllib.parse import quote

from PySide6.QtCore import QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from desktop_app.engine.pathnames import is_exact, os_path, raw_bytes
from desktop_app.ui.pdf_viewers import page_command_for

FILE_MANAGER: Final = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH: Final = "/org/freedesktop/FileManager1"


def open_externally(path_key: str, page: int = 0) -> bool:
    """Open a file or folder (an index key, as results carry) with the default application;
    a PDF at ``page`` where the viewer takes one (``page_command_for``)."""
    command = page_command_for(path_key, page)
    if command is not None and _start_detached(command[0], command[1:]):
        return True
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


def reveal_in_folder(path_key: str, platform: str | None = None) -> bool:
    """Show a file (an index key) selected in its folder; False if nothing could be done, so
    the window can say so. ``platform`` is ``sys.platform`` unless a test names another."""
    platform = platform or sys.platform
    target = os_path(path_key)
    if platform == "darwin":
        shown = _start_detached("/usr/bin/open", ["-R", target])
    elif platform == "win32":
        shown = _start_detached("explorer.exe", ["/select,", os.path.normpath(target)])
    else:  # a URI of the name's exact bytes: reaches a file a QUrl could not name
        shown = _show_items("file://" + quote(raw_bytes(path_key), safe="/"))
    return shown or open_externally(os.path.dirname(path_key) or path_key)


def _start_detached(program: str, arguments: list[str]) -> bool:
    """Start the platform's file manager, or the PDF viewer at a page, with a fixed argument
    list (no shell); it lives on after the app quits and is never waited for."""
    started, _pid = QProcess.startDetached(program, arguments)
    return bool(started)


def _show_items(uri: str) -> bool:
    """Ask the session's file manager, over D-Bus, to show ``uri`` selected. Only when a
    FileManager1 service runs or can be started: otherwise the call would vanish silently."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
    except ImportError:  # a Qt built without D-Bus
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    interface = bus.interface()
    registered = interface.isServiceRegistered(FILE_MANAGER)
    if not (registered.isValid() and registered.value()):
        names = interface.call("ListActivatableNames").arguments()
        if not names or FILE_MANAGER not in names[0]:
            return False
    message = QDBusMessage.createMethodCall(
        FILE_MANAGER, FILE_MANAGER_PATH, FILE_MANAGER, "ShowItems"
    )
    message.setArguments([[uri], ""])
    return bool(bus.send(message))
