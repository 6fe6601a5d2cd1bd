"""The malloc arena cap the engine sets at start (glibc only)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from desktop_app.engine import memory

PROBE = textwrap.dedent(
    """
    import ctypes, sys, threading
    from desktop_app.engine.memory import limit_malloc_arenas
    if sys.argv[1] == "cap":
        assert limit_malloc_arenas(2)
    held = []
    together = threading.Barrier(6)
    def work():
        held.append(bytearray(1 << 18))  # above Python's small-object allocator: malloc
        together.wait()  # all alive at once, so none inherits an exited thread's arena
    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
    """
)


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_cap_limits_the_arenas_threads_get() -> None:
    assert _arenas("nocap") > 2  # each new thread gets an arena of its own by default
    assert _arenas("cap") <= 2


def test_elsewhere_it_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.limit_malloc_arenas() is False
