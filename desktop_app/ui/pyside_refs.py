"""Keep PySide6 6.12.0's reference leaks on None and True from aborting the app (issue 13).

What happens: PySide6/shiboken6 6.12.0 return ``None`` from every wrapped method that returns
nothing (``setText``, ``setValue``, ``update``, ``show``, ...) and ``True`` from
``SignalInstance.emit`` without owning a reference to them, so each such call leaves the object
with one reference fewer than it has holders (6.11.3 does not; :func:`probe` measures it). On
Python 3.11 these singletons are refcounted like any object: once the calls of a session
outnumber the references the interpreter drops while it finalizes, quitting aborts with
``Fatal Python error: bool_dealloc`` (or ``none_dealloc``) while "Garbage-collecting". In this
app 6,000 extra emits before a quit were survived and 12,000 were not, and the window makes
several such calls per file while it indexes (progress) and per second (the memory gauge): the
reported crash came at the end of a 7-minute first session that indexed a folder.

The fix here: when the probe finds such a leak, ``None``, ``True`` and ``False`` get 2**48
extra references once, at start-up, which makes them immortal in effect, as Python 3.12 made
them for good (PEP 683): a leak of one reference per call would need centuries to use that up,
and nothing else depends on their count. On Python 3.12 and later, or with a PySide that owns
its return values, nothing is changed. The dependency itself should also exclude 6.12.0.

:func:`install` runs when :mod:`desktop_app.ui` is imported, before any window or thread exists.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

#: Calls per probe; a drop of more than half of them means each call takes one reference
#: (another thread can only move the counts by a few while the probe holds the GIL).
PROBE_CALLS = 512
#: References added to each singleton: far beyond any session's leaks (10**14 calls), far below
#: an overflow of the count (2**63).
IMMORTAL_REFS = 1 << 48
SINGLETONS = (None, True, False)

_lock = threading.Lock()
_installed: list[Leaks] = []


@dataclass(frozen=True)
class Leaks:
    """What one call of each kind takes: references to None (void method), True (emit)."""

    none_per_call: bool
    true_per_emit: bool
    #: Whether the singletons were made immortal because of them.
    immortal: bool = False

    @property
    def any(self) -> bool:
        return self.none_per_call or self.true_per_emit


class _Probe(QObject):
    fired = Signal()


def _taken(obj: object, call: Any) -> bool:
    """Whether each call of ``call`` leaves ``obj`` one reference short.

    The returned values are kept in a list, so without the leak the count rises by one per
    call; with it, it stays where it was.
    """
    before = sys.getrefcount(obj)
    returned = [call() for _ in range(PROBE_CALLS)]
    taken = before + len(returned) - sys.getrefcount(obj)
    if taken > PROBE_CALLS // 2:
        _give_back(obj, len(returned))  # what the probe itself took
        return True
    return False


def _give_back(obj: object, count: int) -> None:
    incref: Any = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None
    for _ in range(count):
        incref(obj)


def probe() -> Leaks:
    """Measure this PySide's leaks (the references the probe takes are given back)."""
    target = _Probe()
    void_call: Any = target.setObjectName  # returns None
    emit: Any = target.fired.emit  # returns True
    return Leaks(
        none_per_call=_taken(None, lambda: void_call("probe")),
        true_per_emit=_taken(True, emit),
    )


def _make_immortal(obj: object) -> bool:
    """Add :data:`IMMORTAL_REFS` to ``obj``'s count, if its header is laid out as expected.

    CPython's release builds start every object with its count and then its type; anything
    else (a debug build with traced references) is left alone rather than written to.
    """
    count = ctypes.c_ssize_t.from_address(id(obj))
    kind = ctypes.c_void_p.from_address(id(obj) + ctypes.sizeof(ctypes.c_ssize_t))
    if kind.value != id(type(obj)) or not 0 < count.value < IMMORTAL_REFS:
        return False
    # Read and written with the GIL held and no call in between: no thread can interleave.
    count.value += IMMORTAL_REFS
    return True


def install() -> Leaks:
    """Probe once and, if PySide leaks, make the singletons immortal; idempotent."""
    with _lock:
        if _installed:
            return _installed[0]
        leaks = probe()
        immortal = False
        if leaks.any and sys.version_info < (3, 12):
            immortal = all([_make_immortal(obj) for obj in SINGLETONS])
            (log.info if immortal else log.warning)(
                "PySide6 leaks references (None per call: %s, True per emit: %s); "
                "None/True/False made immortal: %s",
                leaks.none_per_call,
                leaks.true_per_emit,
                immortal,
            )
        _installed.append(Leaks(leaks.none_per_call, leaks.true_per_emit, immortal))
        return _installed[0]
