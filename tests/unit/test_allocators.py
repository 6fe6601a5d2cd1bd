"""The allocator settings the engine makes at start: glibc's arena cap, Arrow's allocator."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from desktop_app import paths
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


ENGINE_PROBE = textwrap.dedent(
    """
    import pyarrow
    before = pyarrow.default_memory_pool().backend_name
    from desktop_app.engine.service import Engine
    Engine()
    print(before, pyarrow.default_memory_pool().backend_name)
    """
)


def test_the_engine_hands_arrow_buffers_to_malloc(tmp_path: Path) -> None:
    """Arrow's bundled allocator (mimalloc here) is replaced when the engine starts."""
    env = {**os.environ, paths.HOME_ENV: str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", ENGINE_PROBE], capture_output=True, text=True, check=True, env=env
    )
    before, after = done.stdout.split()
    assert before != "system"  # otherwise this test shows nothing
    assert after == "system"
