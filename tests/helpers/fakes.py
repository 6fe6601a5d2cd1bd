"""Fakes at the boundary only: what psutil reports about the machine."""

from __future__ import annotations

from types import SimpleNamespace

import psutil

GB = 1024**3
MB = 1024**2


class FakePsutil:
    """Replaces the ``psutil`` module seen by ``desktop_app.engine.memory``.

    Tests set ``available`` (system) and ``rss`` (this process) to what the machine should
    report; everything above the boundary runs for real.
    """

    def __init__(self, available: int = 16 * GB, rss: int = 300 * MB, total: int = 32 * GB):
        self.available = available
        self.rss = rss
        self.total = total

    def virtual_memory(self) -> SimpleNamespace:
        return SimpleNamespace(available=self.available, total=self.total)

    @staticmethod
    def cpu_count(logical: bool = True) -> int | None:
        return psutil.cpu_count(logical=logical)  # not faked: only memory is

    def Process(self) -> SimpleNamespace:
        return SimpleNamespace(memory_info=lambda: SimpleNamespace(rss=self.rss))
