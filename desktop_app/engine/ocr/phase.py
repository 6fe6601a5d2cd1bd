"""OCR as the gentle phase of a run: it pauses mid-file, gives way to searches, counts pages.

A scanned file is minutes of work in an extraction worker, where the pool cannot reach it
between files. So the worker's page loop (:mod:`.pages`) calls the heartbeat before every
page it recognises, and the heartbeat made here does three things in the worker:

* **waits while the run is paused** (by the user or by the memory governor): the pool sets a
  flag in shared memory (:class:`PauseFlag`) that every worker reads, and a waiting worker
  keeps saying "still alive" so that the pool's per-page time limit does not kill it;
* **lowers the worker's CPU priority** at its first OCR page (:func:`lower_priority`), so a
  search typed in the app gets the cores first;
* **tells the pool which page starts** (:class:`PageStart`), which the pool adds up in an
  :class:`OcrTally` for the progress line ("Reading scanned pages: 12 of 140").

No OCR library is imported here: the pool and every worker import this module.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: What a worker sends while it waits (paused): "alive", so its time limit starts again.
HEARTBEAT = "alive"
#: Seconds between a paused worker's looks at the flag (and its "alive" messages).
PAUSE_POLL_S = 0.25
#: How much lower an OCR'ing worker runs (Unix nice increment).
NICE_STEP = 10


@dataclass(frozen=True)
class PageStart:
    """A worker is about to recognise a page: ``done`` pages of this file before it, of at
    most ``expected`` (an upper bound that tightens as the file goes)."""

    done: int
    expected: int


class PauseFlag:
    """One byte of shared memory the pool writes and its workers read.

    Why not a ``multiprocessing.Event``: its semaphore is registered with multiprocessing's
    resource tracker, which :func:`~desktop_app.engine.extract_pool.stop_fork_server` stops
    when the app is idle (it would then report the semaphore as leaked). A ``RawValue`` lives
    in an anonymous mapping passed to the worker when it is created; a worker only polls it,
    a few times a second, while it is paused.
    """

    def __init__(self, ctx: Any) -> None:
        self._value: Any = ctx.RawValue("b", 0)

    def set(self, paused: bool) -> None:
        self._value.value = 1 if paused else 0

    def is_set(self) -> bool:
        return bool(self._value.value)


def lower_priority() -> None:
    """Run this (worker) process below normal priority, for the rest of its life.

    Why: OCR keeps a core busy for seconds a page, and a search in the app must not queue
    behind it; the kernel gives the app's threads the CPU first. The worker stays lowered for
    the text files it may extract after (background work too) until it is recycled.
    """
    try:
        if hasattr(os, "nice"):
            os.nice(NICE_STEP)
        else:  # Windows
            import psutil

            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
    except (OSError, ImportError, AttributeError) as exc:  # not allowed: run as before
        log.debug("could not lower the OCR worker's priority: %s", exc)


def worker_heartbeat(
    send: Callable[[object], None], paused: PauseFlag | None
) -> Callable[[int, int], None]:
    """The heartbeat a worker installs (``extract.base.set_heartbeat``): see the module."""
    lowered = False

    def beat(done: int, expected: int) -> None:
        nonlocal lowered
        while paused is not None and paused.is_set():
            send(HEARTBEAT)
            time.sleep(PAUSE_POLL_S)
        if not lowered:
            lowered = True
            lower_priority()
        send(PageStart(done, expected))

    return beat


@dataclass(frozen=True)
class OcrCounts:
    """The run's OCR pages for the progress line (see ``Progress.ocr_pages_*``)."""

    done: int = 0
    total: int = 0
    file: str = ""
    more: bool = False


class OcrTally:
    """Adds up the page starts of a run's workers; read from another thread (the pipeline's).

    Per worker it keeps the file being read and its last ``PageStart``: the run's total is the
    sum of each started file's ``expected`` pages, replaced by the pages it really read when
    its outcome arrives.
    """

    def __init__(self, waiting: int = 0) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._current = ""
        #: Files that may need OCR not yet handed to a worker.
        self._waiting = waiting
        self._files: dict[int, tuple[str, PageStart]] = {}

    def handed_out(self) -> None:
        """One of the files that may need OCR went to a worker."""
        with self._lock:
            self._waiting = max(0, self._waiting - 1)

    def page(self, worker: int, path: str, start: PageStart) -> None:
        with self._lock:
            _, before = self._files.get(worker, ("", PageStart(0, 0)))
            self._done += start.done - before.done
            self._total += max(start.expected, start.done + 1) - max(before.expected, 0)
            self._files[worker] = (path, PageStart(start.done, max(start.expected, start.done + 1)))
            self._current = path

    def file_ended(self, worker: int) -> None:
        """The worker's file is done (or given up): its page in progress ended too."""
        with self._lock:
            entry = self._files.pop(worker, None)
            if entry is None:
                return
            path, last = entry
            self._done += 1
            self._total += last.done + 1 - last.expected
            if self._current == path:
                self._current = next((p for p, _ in self._files.values()), "")

    def counts(self) -> OcrCounts:
        with self._lock:
            return OcrCounts(self._done, self._total, self._current, self._waiting > 0)
