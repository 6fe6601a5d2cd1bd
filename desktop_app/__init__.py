"""Desktop search: local semantic and keyword search over a person's documents.

The package is split so that everything below :mod:`desktop_app.engine` runs without Qt;
the CLI, the tests and the GUI all drive the same engine code.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("desktop-search")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_NAME = "desktop-search"
APP_AUTHOR = "desktop-search"
