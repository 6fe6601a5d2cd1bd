"""Time left in an indexing run, from the pace measured on this machine.

The first estimate used to divide the files left by the run's average pace since it began, which
counts the start of the run (the extraction workers' fork server, the first parse of each
format) as if every file cost that much: early in a run the ETA read about twice the real time.
So the pace is measured over the last :data:`WINDOW_S` seconds only, and until the run has
measured enough of its own, it starts from the pace the previous run reached on this machine
(kept in the cache folder). A pause restarts the window: time spent paused is not indexing.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

#: How far back the pace is measured.
WINDOW_S = 20.0
#: A window shorter than this is not trusted over the previous run's pace.
MIN_SPAN_S = 3.0
#: The previous run's pace is kept only if that run measured at least this long.
MIN_SAVED_SPAN_S = 5.0


class Throughput:
    """Files per second over a sliding window, starting from a known pace (``prior``)."""

    def __init__(
        self, prior: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.prior = prior if prior and prior > 0 else None
        self._now = clock
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, files_done: int) -> None:
        """Note how many files are done now (after each batch)."""
        now = self._now()
        self._samples.append((now, files_done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= WINDOW_S:
            self._samples.popleft()

    def restart(self, files_done: int) -> None:
        """Start the window again from here (after a pause)."""
        self._samples.clear()
        self.observe(files_done)

    def span(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        return self._samples[-1][0] - self._samples[0][0]

    def rate(self) -> float | None:
        """Files per second: the window's once it spans MIN_SPAN_S, else the prior (if any)."""
        span = self.span()
        done = self._samples[-1][1] - self._samples[0][1] if span else 0
        if done > 0 and (span >= MIN_SPAN_S or self.prior is None):
            return done / span
        return self.prior

    def eta(self, files_left: int) -> float | None:
        """Seconds until ``files_left`` more are done, or None before anything is known."""
        rate = self.rate()
        return files_left / rate if rate else None


def load_prior(path: Path) -> float | None:
    """The pace saved by the previous run, or None (no file, or one that cannot be read)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))["files_per_s"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, int | float) and value > 0 else None


def save_prior(path: Path, throughput: Throughput) -> None:
    """Keep this run's pace for the next run's first estimate, if it measured enough."""
    rate = throughput.rate()
    if rate is None or throughput.span() < MIN_SAVED_SPAN_S:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"files_per_s": round(rate, 3)}), encoding="utf-8")
    except OSError as exc:  # an estimate is not worth an error (a full disk says so elsewhere)
        log.debug("could not keep the indexing pace: %s", exc)
