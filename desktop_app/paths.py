"""Every user path of the app, in one place.

Paths come from platformdirs so each OS gets its conventional locations. One override (the
``--data-dir`` flag or the ``DESKTOP_SEARCH_HOME`` environment variable) moves *all* of them
under one folder, which is what tests and portable installs need. Nothing is created at import
time: a directory is made (user-only permissions) only when :func:`ensure_dir` is asked for it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import platformdirs

from desktop_app import APP_AUTHOR, APP_NAME

HOME_ENV = "DESKTOP_SEARCH_HOME"

_home_override: Path | None = None


def set_home(path: str | os.PathLike[str] | None) -> None:
    """Put every user path under ``path`` (the ``--data-dir`` flag); ``None`` undoes it."""
    global _home_override
    _home_override = Path(path).expanduser().resolve() if path is not None else None


def home_override() -> Path | None:
    """The folder all paths live under, if the user chose one (flag first, then env)."""
    if _home_override is not None:
        return _home_override
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser().resolve() if env else None


def _dir(kind: str) -> Path:
    home = home_override()
    if home is not None:
        return home / kind
    getter = {
        "data": platformdirs.user_data_path,
        "config": platformdirs.user_config_path,
        "cache": platformdirs.user_cache_path,
        "logs": platformdirs.user_log_path,
    }[kind]
    return Path(getter(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    """Index, user-installed models and other durable state."""
    return _dir("data")


def config_dir() -> Path:
    """The settings file."""
    return _dir("config")


def cache_dir() -> Path:
    """Things that can be rebuilt: downloaded wheels, partial downloads."""
    return _dir("cache")


def log_dir() -> Path:
    """Rotating log files."""
    return _dir("logs")


def settings_file() -> Path:
    return config_dir() / "settings.json"


def log_file() -> Path:
    return log_dir() / "desktop-search.log"


def user_models_dir() -> Path:
    """Models the user added, imported or downloaded."""
    return data_dir() / "models"


def index_dir() -> Path:
    """The default LanceDB location."""
    return data_dir() / "index"


def resources_dir() -> Path:
    """Read-only resources: inside the frozen bundle, or the repo's ``resources/``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def bundled_models_dir() -> Path:
    """Where the default model is provisioned by setup (git-ignored in the repo)."""
    return resources_dir() / "models"


def ensure_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents readable by the user only (0700); return it.

    ``Path.mkdir(mode, parents=True)`` gives the mode to the last folder only; the parents it
    creates get the umask's default (usually 0755), so a fresh ``--data-dir`` or
    ``~/.local/share`` would be listable by everyone. Each missing level is made here instead.
    Folders that already exist are left as they are: their mode is the user's choice.
    """
    missing = []
    current = path
    while not os.path.lexists(current) and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another thread
            folder.mkdir(mode=0o700)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # raises if a file is in the way
    return path
