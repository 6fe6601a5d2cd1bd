"""The ETA's pace: measured over a recent window, started from the previous run's pace."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.engine.eta import WINDOW_S, Throughput, load_prior, save_prior


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run(pace: Throughput, clock: Clock, steps: list[tuple[float, int]]) -> None:
    """Advance the clock by each step's seconds, then note the files done so far."""
    for seconds, files_done in steps:
        clock.now += seconds
        pace.observe(files_done)


def test_the_start_of_a_run_is_not_taken_for_its_pace() -> None:
    clock = Clock()
    pace = Throughput(clock=clock)
    # The first batch ends 3 s in (fork server, first parses), then 10 files a second.
    run(pace, clock, [(3.0, 2), *[(1.0, 2 + 10 * i) for i in range(1, 6)]])
    assert pace.eta(100) == pytest.approx(10.0)
    whole_run = 52 / clock.now  # what the old estimate divided by
    assert 100 / whole_run > 1.5 * pace.eta(100)  # about twice too high, as users saw


def test_the_previous_runs_pace_starts_the_estimate_until_the_run_has_its_own() -> None:
    clock = Clock()
    pace = Throughput(prior=8.0, clock=clock)
    assert pace.eta(80) == pytest.approx(10.0)  # nothing measured yet
    run(pace, clock, [(2.0, 4), (1.0, 6)])  # 1 s measured: too short to trust
    assert pace.eta(80) == pytest.approx(10.0)
    run(pace, clock, [(1.0, 8), (1.0, 10), (1.0, 12)])  # now 4 s at 2 files a second
    assert pace.eta(80) == pytest.approx(40.0)
    assert Throughput(clock=clock).eta(80) is None  # no prior, nothing measured


def test_the_window_follows_a_change_of_pace_and_a_pause_restarts_it() -> None:
    clock = Clock()
    pace = Throughput(clock=clock)
    run(pace, clock, [(1.0, 10 * i) for i in range(1, 11)])  # 10 files a second
    run(pace, clock, [(1.0, 100 + 2 * i) for i in range(1, int(WINDOW_S) + 5)])  # then 2
    assert pace.rate() == pytest.approx(2.0)
    clock.now += 60.0  # paused for a minute
    pace.restart(148)
    run(pace, clock, [(1.0, 148 + 5 * i) for i in range(1, 5)])
    assert pace.rate() == pytest.approx(5.0)  # the minute paused counts for nothing


def test_the_pace_is_kept_for_the_next_run(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "pace.json"
    assert load_prior(path) is None
    clock = Clock()
    short = Throughput(clock=clock)
    run(short, clock, [(1.0, 5), (2.0, 9)])  # 2 s measured: not worth keeping
    save_prior(path, short)
    assert load_prior(path) is None
    run(short, clock, [(2.0, 13), (2.0, 17)])  # 6 s at 2 files a second
    save_prior(path, short)
    assert load_prior(path) == pytest.approx(2.0)
    for broken in ("{", '{"files_per_s": "fast"}', '{"files_per_s": -1}', "[]"):
        path.write_text(broken)
        assert load_prior(path) is None, broken
