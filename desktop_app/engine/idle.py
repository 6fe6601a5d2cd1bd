"""Release what the engine holds at rest once it has been quiet for a while.

Why: the app lives in the tray all day, and between runs it kept everything a run or a search
had loaded. At rest with a 10K-file index the window held about 640-690 MB RSS summed over the
app and its helper processes (400-450 MB PSS): the indexing and the query model contexts, the
extraction fork server with the parsers it preloads and the resource tracker it started, and
free memory that glibc keeps in its arenas after a run. All of it comes back on demand (each
context is created on first use, the fork server by a run's first worker), so after
``idle_unload_s`` seconds without indexing or searching the engine lets it go
(``Engine.release_idle``); docs/BENCHMARKS.md, "Memory at rest", has the figures.

The timer is a thread that exists only while there is a quiet period to wait out: activity
(:meth:`IdleReleaser.touch`) starts one if none is waiting, the thread sleeps until the engine
has been quiet long enough, calls the release once, and ends. So the engine at rest has no
thread of its own, and the CLI's ``watch`` and the GUI get the same behaviour without polling.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from desktop_app.engine.extract_pool import stop_fork_server
from desktop_app.engine.memory import trim_malloc

if TYPE_CHECKING:
    from desktop_app.engine.embedder import Embedder

log = logging.getLogger(__name__)


def release_parts(index_embedder: Embedder | None, query_embedder: Embedder | None) -> list[str]:
    """Close the given model contexts and stop the extraction fork server; what went, by name.

    The caller guarantees that nothing uses them: no run (the engine holds its index lock) and
    no search (:meth:`IdleReleaser.busy`). The query context goes too because reloading it
    was measured cheap: the first search after a release took 136-190 ms against 70-100 ms
    warm on a quiet machine, 265-409 ms under heavy load (docs/benchmarks/NOTES.md), for
    about 50 MB (PSS) that would otherwise stay all day.
    """
    released = []
    for name, embedder in (("indexing context", index_embedder), ("query context", query_embedder)):
        if embedder is not None:
            embedder.close()
            released.append(name)
    if stop_fork_server():
        released.append("extraction fork server")
    return released


def release_free_memory(released: list[str]) -> list[str]:
    """Collect Python's garbage, then hand the C heap's free pages back to the system; logs
    and returns ``released`` with what this freed."""
    gc.collect()  # cycles a run left (documents, Arrow tables) before the trim
    released = [*released, "free heap"] if trim_malloc() else released
    log.info("idle: released %s", ", ".join(released) or "nothing")
    return released


class IdleReleaser:
    """Calls ``release`` once ``delay_s()`` seconds have passed since the last :meth:`touch`.

    ``delay_s`` is read at each wake-up (a setting the user may change); 0 or less disables the
    release. ``release`` must be safe to call at any moment: an indexing run may be starting on
    another thread (the engine's release skips what a run holds).
    """

    def __init__(self, release: Callable[[], object], delay_s: Callable[[], float]) -> None:
        self._release = release
        self._delay_s = delay_s
        self._cond = threading.Condition()
        self._last = time.monotonic()
        #: A thread is waiting out the quiet period (a later touch only moves ``_last``).
        self._waiting = False
        #: Threads started and maybe not ended (one waiting, one maybe releasing): close joins.
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._in_flight = 0

    def touch(self) -> None:
        """Note activity now: the quiet period starts again, and a waiting thread is ensured."""
        with self._cond:
            self._last = time.monotonic()
            if self._waiting:
                self._cond.notify_all()  # re-reads the delay (the setting may have changed)
                return
            if self._closed or self._delay_s() <= 0:
                return
            self._threads = [t for t in self._threads if t.is_alive()]
            thread = threading.Thread(target=self._wait_then_release, name="idle", daemon=True)
            thread.start()  # under the lock: close() only ever sees a started thread
            self._threads.append(thread)
            self._waiting = True

    def _wait_then_release(self) -> None:
        with self._cond:
            while True:
                delay = self._delay_s()
                if self._closed or delay <= 0:
                    self._waiting = False
                    return
                remaining = self._last + delay - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            # From here a touch starts a new thread: activity during the release is waited
            # out again rather than lost.
            self._waiting = False
        try:
            self._release()
        except Exception:  # releasing is an optimisation: never let it take the app down
            log.exception("releasing idle memory failed")

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Around work that uses what a release frees (a search and the query context): the
        release leaves it alone while any is in flight, and the quiet period starts after."""
        with self._cond:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
            self.touch()

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    def close(self) -> None:
        """Stop waiting and join the threads (a release in progress finishes first)."""
        with self._cond:
            self._closed = True
            threads = list(self._threads)
            self._cond.notify_all()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    @property
    def waiting(self) -> bool:
        """Whether a quiet period is being waited out (for tests)."""
        with self._cond:
            return self._waiting
