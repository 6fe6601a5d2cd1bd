"""Facts about the project that every packaging step needs, read from one place.

The version comes from ``pyproject.toml`` (the single source of truth), the artefact names
from the version and the machine, so the spec, the Linux packager and the smoke test agree.
"""

from __future__ import annotations

import platform
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUILD = ROOT / "build"
APP_NAME = "desktop-search"
DISPLAY_NAME = "Desktop Search"
BUNDLE_ID = "org.desktopsearch.DesktopSearch"
BUNDLE_DIR = DIST / APP_NAME


def version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def deb_architecture() -> str:
    """Debian's name for this machine's architecture."""
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(machine, machine)


def artefact_stem() -> str:
    """``desktop-search-0.1.0-linux-x86_64`` and the like."""
    return f"{APP_NAME}-{version()}-{platform.system().lower()}-{platform.machine().lower()}"
