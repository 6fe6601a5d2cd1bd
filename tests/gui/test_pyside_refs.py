"""PySide's reference leaks cannot take None or True down (issue 13, the crash on quit).

PySide6 6.12.0 returns None from every wrapped method that returns nothing, and True from
``SignalInstance.emit``, without owning a reference to them. After some thousands of calls the
interpreter freed True (or None) while finalizing, and quitting aborted with ``bool_dealloc``.
:mod:`desktop_app.ui.pyside_refs` makes the singletons immortal when it finds such a leak.
These tests drive the real window the way the bridge's threads do, many times over, and check
that the counts stay far from zero; the quit itself is in tests/reliability/test_quit_stress.py.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from desktop_app.engine.memory import MemoryStatus, Pressure
from desktop_app.ui import pyside_refs
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow

#: Memory readings shown: each one is an emit from a thread, then setToolTip and update.
READINGS = 5_000
#: The counts never come near zero again: a session would need ~10**14 leaking calls.
FLOOR = 1 << 40


def test_a_long_session_of_readings_leaves_none_and_true_far_from_zero(qtbot: QtBot) -> None:
    bridge = EngineBridge()  # not started: no engine, only its signals
    window = MainWindow(bridge)
    qtbot.addWidget(window)
    shown = [0]
    bridge.memory.connect(lambda _reading: shown.__setitem__(0, shown[0] + 1))
    reading = MemoryStatus(
        rss=1 << 28,
        available=1 << 32,
        total=1 << 33,
        budget=1 << 30,
        level=Pressure.OK,
        model_bytes=1 << 25,
        time=0.0,
    )

    def emit_all() -> None:  # what the engine's memory thread does, without the waits
        for second in range(READINGS):
            bridge.memory.emit(replace(reading, time=float(second)))

    worker = threading.Thread(target=emit_all)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: shown[0] == READINGS, timeout=60_000)  # every reading shown
    assert sys.getrefcount(None) > FLOOR
    assert sys.getrefcount(True) > FLOOR


def test_the_probe_measures_a_leak_and_gives_back_what_it_took(qtbot: QtBot) -> None:
    leaks = pyside_refs.install()
    assert pyside_refs.install() is leaks  # once per process
    # The probe's verdict is right: another void method, counted by hand (a list keeps each
    # returned None: without the leak the count rises by one per call).
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    kept = [label.setText("x") for _ in range(100)]
    assert (sys.getrefcount(None) - before < 50) == leaks.none_per_call
    assert len(kept) == 100
    # Probing again costs nothing: the references it took are given back.
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    again = pyside_refs.probe()
    assert again == pyside_refs.Leaks(leaks.none_per_call, leaks.true_per_emit)
    assert abs(sys.getrefcount(None) - before_none) < 50
    assert abs(sys.getrefcount(True) - before_true) < 50
    # On Python 3.11, a leaking PySide is made harmless; a sound one is left alone.
    if sys.version_info < (3, 12):
        assert leaks.immortal == leaks.any
