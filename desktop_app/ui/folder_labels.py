"""How an indexed folder is named on screen: its own name, plus just enough of where it is.

The folders pane, the folder dropdown and the folder chip all call :func:`folder_labels`, so a
folder reads the same everywhere. A folder whose name is unique among the indexed ones is shown
by its name alone (``reports``); folders that share a name get the shortest trailing part of
their parent that tells them apart (``docs (x)``, ``docs (y)``), written ``~``-relative under
the home folder. The full path always goes in the tooltip; where space runs out the widget
elides in the middle, which keeps both the name's start and its end.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import PurePath

from desktop_app.engine.pathnames import display


def _parts(path: str) -> tuple[str, ...]:
    """``path``'s components for people, the home folder written ``~``."""
    shown = display(path)
    home = os.path.expanduser("~")
    if home not in ("~", os.sep) and (
        shown == home or shown.startswith(home.rstrip(os.sep) + os.sep)
    ):
        shown = "~" + shown[len(home.rstrip(os.sep)) :]
        return ("~", *PurePath(shown).parts[1:])
    return PurePath(shown).parts


def _join(parts: Sequence[str]) -> str:
    """Components back to a path; an anchor like ``/`` or ``C:\\`` keeps its own separator."""
    if not parts:
        return ""
    head, rest = parts[0], parts[1:]
    if head.endswith(("/", "\\")):
        return head + os.sep.join(rest)
    return os.sep.join(parts)


def _name(path: str) -> str:
    parts = _parts(path.rstrip("/\\") or path)
    return parts[-1] if parts else path


def folder_labels(paths: Sequence[str]) -> dict[str, str]:
    """Each path's label: its name, and when names repeat, the shortest telling parent part."""
    names = {path: _name(path) for path in paths}
    labels: dict[str, str] = {}
    for path, name in names.items():
        twins = [p for p, n in names.items() if n == name and p != path]
        if not twins:
            labels[path] = name
            continue
        parents = {p: _parts(p.rstrip("/\\") or p)[:-1] for p in [path, *twins]}
        mine = parents[path]
        where = _join(mine)  # the whole parent when no shorter part tells them apart
        for k in range(1, len(mine) + 1):
            tail = mine[-k:]
            if all(parents[t][-k:] != tail for t in twins):
                where = _join(mine) if k == len(mine) else os.sep.join(tail)
                break
        labels[path] = f"{name} ({where or os.sep})"
    return labels


def folder_label(path: str, among: Sequence[str] = ()) -> str:
    """The label of one folder among others (``among`` may include it or not)."""
    return folder_labels([path, *(p for p in among if p != path)])[path]
