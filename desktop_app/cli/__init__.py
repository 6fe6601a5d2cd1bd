"""The ``desktop-search`` command line: headless commands, or the GUI when none is given.

``parser`` holds the grammar, ``entry`` runs it (:func:`main`, the console script), and each
``*_commands`` module holds the handlers of one concern, printing through ``output``.
"""

from __future__ import annotations

from desktop_app.cli.entry import main

__all__ = ["main"]
