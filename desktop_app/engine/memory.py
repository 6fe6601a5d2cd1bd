"""Memory readings and the governor that keeps indexing from starving the machine.

The app's own resident memory is compared with its budget, and the system's available memory
with a floor (both settings). Under *elevated* pressure indexing embeds in smaller batches; under
*critical* pressure it pauses until pressure falls, and resumes by itself. Readings come from
psutil through :func:`read_memory`, the one boundary tests replace with fake readings.

Also the allocator settings the engine makes (arena cap, Arrow on malloc) and the trim it does
when it goes idle.
"""

from __future__ import annotations

import ctypes
import enum
import sys
from collections.abc import Callable
from dataclasses import dataclass

import psutil

MB = 1024 * 1024

#: glibc's ``mallopt`` parameter number for the arena limit (malloc.h: ``M_ARENA_MAX``).
_M_ARENA_MAX = -8
#: Arenas glibc may create: two, where its default is eight per core.
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; True if the cap is in place.

    Why: LanceDB's and llama.cpp's native threads each get a malloc arena, and freed memory
    stays in them. On a 2,000-file index run the cap left the process 70-115 MB smaller at
    equal speed (docs/benchmarks/NOTES.md). Arenas made before the call stay; later threads
    share. Elsewhere than glibc (macOS, Windows, musl) there is nothing to do.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols: ctypes.util.find_library would run ldconfig.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def use_malloc_for_arrow() -> None:
    """Give Arrow's buffers to the C allocator instead of Arrow's bundled mimalloc.

    Why: mimalloc keeps freed pages for later reuse. The app's Arrow buffers are short-lived
    (batches on their way into LanceDB, search results on their way out), so those kept pages
    only add to the resident size: after indexing 2,000 files the process was 30 MB smaller
    (PSS 236 against 266 MB) with the C allocator, whose arenas the cap above keeps few.
    """
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def trim_malloc() -> bool:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim(0)``).

    Why: glibc returns freed memory to the system only from the top of each heap, so after an
    indexing run the process keeps the freed middle of its arenas resident until something
    reuses it. ``malloc_trim`` releases every free page of every arena (``madvise``), in a few
    milliseconds; a page reused later costs a page fault. True if it ran (glibc only).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False
    malloc_trim(ctypes.c_size_t(0))
    return True


class Pressure(enum.Enum):
    OK = "ok"
    ELEVATED = "elevated"
    CRITICAL = "critical"


@dataclass(frozen=True)
class MemoryReading:
    rss: int  # this process, bytes
    available: int  # the system, bytes
    total: int


@dataclass(frozen=True)
class MemoryStatus:
    """A reading as the memory gauge shows it: the app against its budget, and the system.

    ``model_bytes`` is the model file's size: its weights are memory-mapped, so they count in
    ``rss`` without being the app's own heap (the gauge says which is which).
    """

    rss: int
    available: int
    total: int
    budget: int
    level: Pressure
    model_bytes: int
    time: float


def read_memory() -> MemoryReading:
    system = psutil.virtual_memory()
    return MemoryReading(psutil.Process().memory_info().rss, system.available, system.total)


@dataclass
class MemoryGovernor:
    """Decides, from one reading, how hard indexing may push."""

    budget_bytes: int
    min_available_bytes: int
    reader: Callable[[], MemoryReading] = read_memory
    #: Fraction of the budget / multiple of the floor where pressure becomes *elevated*.
    elevated_fraction: float = 0.85
    elevated_margin: float = 2.0

    def level(self, reading: MemoryReading | None = None) -> Pressure:
        r = reading or self.reader()
        if r.rss > self.budget_bytes or r.available < self.min_available_bytes:
            return Pressure.CRITICAL
        if (
            r.rss > self.elevated_fraction * self.budget_bytes
            or r.available < self.elevated_margin * self.min_available_bytes
        ):
            return Pressure.ELEVATED
        return Pressure.OK

    def batch_size(self, base: int, level: Pressure) -> int:
        """Chunks per embedding batch at this pressure (0 means: pause)."""
        if level is Pressure.CRITICAL:
            return 0
        if level is Pressure.ELEVATED:
            return max(1, base // 4)
        return base
