"""The memory governor's decisions, from readings."""

from __future__ import annotations

from desktop_app.engine.memory import MB, MemoryGovernor, MemoryReading, Pressure, read_memory


def governor() -> MemoryGovernor:
    return MemoryGovernor(budget_bytes=1000 * MB, min_available_bytes=500 * MB)


def test_levels() -> None:
    g = governor()
    assert g.level(MemoryReading(100 * MB, 8000 * MB, 16000 * MB)) is Pressure.OK
    assert g.level(MemoryReading(900 * MB, 8000 * MB, 16000 * MB)) is Pressure.ELEVATED
    assert g.level(MemoryReading(100 * MB, 800 * MB, 16000 * MB)) is Pressure.ELEVATED
    assert g.level(MemoryReading(1100 * MB, 8000 * MB, 16000 * MB)) is Pressure.CRITICAL
    assert g.level(MemoryReading(100 * MB, 400 * MB, 16000 * MB)) is Pressure.CRITICAL


def test_batch_sizes() -> None:
    g = governor()
    assert g.batch_size(32, Pressure.OK) == 32
    assert g.batch_size(32, Pressure.ELEVATED) == 8
    assert g.batch_size(32, Pressure.CRITICAL) == 0


def test_real_reading_is_sane() -> None:
    reading = read_memory()
    assert 0 < reading.rss < reading.total and 0 < reading.available <= reading.total
