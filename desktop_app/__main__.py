"""Entry point of ``python -m desktop_app`` and of the frozen app (PyInstaller's script)."""

from __future__ import annotations

import multiprocessing
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    # In a frozen app the extraction workers (forkserver/spawn) start this same executable;
    # freeze_support() turns those starts into workers instead of a second app.
    multiprocessing.freeze_support()
    sys.exit(main())
