"""Opening a PDF at a page: the command for the desktop's default PDF viewer, when it has one.

A result from page 7 of a scanned PDF should open on page 7. There is no desktop-wide way to
ask for a page: each viewer has its own command-line flag, and some have none (macOS Preview,
the Windows default). So on Linux and the BSDs the default viewer is looked up the way
``xdg-open`` looks it up, without running it: the ``application/pdf`` entry of the
``mimeapps.list`` files (XDG MIME Applications spec, desktop-specific lists first), then the
viewer's ``.desktop`` file for its program. Known viewers get their page flag; a browser set
as the PDF viewer gets the ``#page=N`` fragment its built-in viewer reads. Anything else
(an unknown viewer, no default, another OS) is None: the caller opens the file as usual.

Only files are read here; nothing is started (``ui/opener.py`` starts the command).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from desktop_app.engine.pathnames import is_exact, os_path

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit

PDF_TYPE: Final = "application/pdf"
#: Viewer program name -> its arguments, ``{page}`` the 1-based page and ``{file}`` the file.
PAGE_ARGUMENTS: Final[dict[str, tuple[str, ...]]] = {
    "evince": ("--page-index={page}", "{file}"),
    "atril": ("--page-index={page}", "{file}"),  # Evince's MATE fork
    "xreader": ("--page-index={page}", "{file}"),  # Evince's Cinnamon fork
    "okular": ("--page", "{page}", "{file}"),
    "zathura": ("--page={page}", "{file}"),
    "mupdf": ("{file}", "{page}"),
}
#: Browsers whose built-in PDF viewer opens ``file:///...#page=N`` at that page.
BROWSERS: Final = frozenset(
    {"firefox", "firefox-esr", "chromium", "chromium-browser", "google-chrome", "brave-browser"}
)


def page_to_open(hit: FileHit) -> int:
    """The page a result opens at: its best passage's (0: none, not a paged document)."""
    return next((p.page for p in hit.passages if p.page), 0)


def page_command_for(path_key: str, page: int) -> list[str] | None:
    """The command that opens this PDF at ``page`` in the desktop's default viewer, or None
    (not a PDF, no page, another OS, a viewer with no page flag: see ``pdf_viewers``)."""
    if page < 1 or not path_key.lower().endswith(".pdf") or not is_exact(path_key):
        return None  # a name that is not UTF-8 cannot travel as a QProcess argument
    if sys.platform in ("win32", "darwin"):
        return None  # Preview and the Windows default take no page: opened as usual
    return page_command(os_path(path_key), page)


def page_command(path: str, page: int, env: Mapping[str, str] | None = None) -> list[str] | None:
    """The command that opens the PDF ``path`` at ``page`` in the default viewer, or None when
    the viewer is not known to take a page (open the file the usual way then)."""
    program = default_pdf_program(os.environ if env is None else env)
    if program is None or page < 1:
        return None
    name = Path(program).name
    if name in BROWSERS:
        return [program, "file://" + quote(os.path.abspath(path)) + f"#page={page}"]
    arguments = PAGE_ARGUMENTS.get(name)
    if arguments is None:
        return None
    return [program, *(a.format(page=page, file=path) for a in arguments)]


def default_pdf_program(env: Mapping[str, str]) -> str | None:
    """The program of the desktop's default PDF application (an absolute path), or None."""
    for desktop_id in _default_ids(env):
        program = _program_of(desktop_id, env)
        if program is not None:
            return program
    return None


def _config_dirs(env: Mapping[str, str]) -> list[Path]:
    home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    rest = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    return [Path(d) for d in [home, *rest] if d]


def _data_dirs(env: Mapping[str, str]) -> list[Path]:
    home = env.get("XDG_DATA_HOME") or os.path.join(env.get("HOME", "~"), ".local", "share")
    rest = (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    return [Path(d) for d in [home, *rest] if d]


def _mimeapps_lists(env: Mapping[str, str]) -> Iterator[Path]:
    """The spec's lookup order: per directory, the desktop-specific list before the plain one;
    configuration directories before the data directories' ``applications`` folders."""
    desktops = [d.lower() for d in env.get("XDG_CURRENT_DESKTOP", "").split(":") if d]
    folders = _config_dirs(env) + [d / "applications" for d in _data_dirs(env)]
    for folder in folders:
        for desktop in desktops:
            yield folder / f"{desktop}-mimeapps.list"
        yield folder / "mimeapps.list"


def _default_ids(env: Mapping[str, str]) -> Iterator[str]:
    for listing in _mimeapps_lists(env):
        yield from _entries(listing, "Default Applications", PDF_TYPE)


def _entries(path: Path, section: str, key: str) -> list[str]:
    """The ``;``-separated values of ``key`` in ``[section]`` of a desktop-entry-style file."""
    value = _value(path, section, key)
    return [v.strip() for v in value.split(";") if v.strip()] if value else []


def _value(path: Path, section: str, key: str) -> str:
    """The value of ``key`` in ``[section]`` of a desktop-entry-style file ("" if none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif current == section and "=" in line:
            name, _, value = line.partition("=")
            if name.strip() == key:
                return value.strip()
    return ""


def _program_of(desktop_id: str, env: Mapping[str, str]) -> str | None:
    """The program a ``.desktop`` file runs (its ``Exec`` line's first word), found on PATH."""
    for folder in _data_dirs(env):
        exec_line = _value(folder / "applications" / desktop_id, "Desktop Entry", "Exec")
        if not exec_line:
            continue
        try:
            words = shlex.split(exec_line)
        except ValueError:
            return None
        if words and words[0] == "env":  # "env VAR=1 program %U"
            words = [w for w in words[1:] if "=" not in w]
        if not words:
            return None
        return shutil.which(words[0], path=env.get("PATH"))
    return None
