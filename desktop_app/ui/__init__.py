"""Qt widgets. Talks to the engine only through the bridge; never imported by the engine."""

from desktop_app.ui import pyside_refs

# Before any window or thread exists: PySide6 6.12.0 leaks references to None and True, which
# made quitting abort after a long session (issue 13; see pyside_refs).
pyside_refs.install()
