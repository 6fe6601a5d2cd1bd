"""Watch the indexed folders and hand debounced, coalesced change sets to the engine.

watchdog delivers one event per file operation; a ``git checkout`` is thousands of them and an
editor's save is often write-temp-then-rename. Events only mark paths dirty; once the folders
have been quiet for ``debounce_s`` (or changes have waited ``max_wait_s``), the dirty set is
handed over in one piece, where the planner re-stats every path. So a burst becomes one batch,
a save-via-rename becomes one change, and a file created and deleted within the window costs
nothing.

Native events (inotify, FSEvents, ReadDirectoryChangesW) are used where available; when the
native observer cannot start (for example, the inotify watch limit is reached) the watcher
falls back to polling. A watched folder that disappears is reported, not a crash.

Two things keep a storm (an unzip, a checkout of 100,000 files) from costing unbounded memory
or losing changes. The dirty set holds at most ``max_pending`` paths: beyond that it collapses
to the watched folders the paths are under, and the planner walks those folders whole, which
finds every change at the cost of a scan (the same scan as at start-up). And when the kernel's
event queue overflows (inotify drops events beyond ``fs.inotify.max_queued_events``), the
events that were lost cannot be known, so every watched folder is marked dirty the same way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from desktop_app.engine.scanner import is_within

log = logging.getLogger(__name__)

ChangeHandler = Callable[[set[str]], None]
ProblemHandler = Callable[[str, str], None]

#: Dirty paths kept one by one; past this the set collapses to the folders (about 200 bytes a
#: path, so a few MB at most, and a re-stat of this many paths costs about what a walk does).
MAX_PENDING = 10_000


class _OverflowListener(logging.Handler):
    """Hears watchdog report a kernel event-queue overflow and has the folders rescanned.

    watchdog does not pass an overflow to event handlers: it logs it (and, on inotify, rebuilds
    its watches), so the log record is the only signal it gives. Matching the record rather
    than hooking watchdog's internals keeps this working across watchdog versions; a version
    that words it differently only loses the rescan, never the watcher.
    """

    def __init__(self, watcher: FolderWatcher) -> None:
        super().__init__(logging.WARNING)
        self._watcher = watcher

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self._watcher.events_lost()


class _Collector:
    """watchdog event handler: records the paths an event touches (both ends of a move)."""

    def __init__(self, watcher: FolderWatcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: Any) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads do not change anything
        paths = [event.src_path]
        if getattr(event, "dest_path", ""):
            paths.append(event.dest_path)
        self._watcher.mark(os.fsdecode(p) for p in paths)


class FolderWatcher:
    """One observer over all roots, one thread delivering coalesced change sets."""

    def __init__(
        self,
        roots: Iterable[str],
        on_changes: ChangeHandler,
        *,
        debounce_s: float = 0.5,
        max_wait_s: float = 5.0,
        on_problem: ProblemHandler | None = None,
        force_polling: bool = False,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.on_changes = on_changes
        self.on_problem = on_problem or (lambda path, message: log.warning("%s: %s", path, message))
        self.debounce_s = debounce_s
        self.max_wait_s = max_wait_s
        self.force_polling = force_polling
        self.max_pending = max(1, max_pending)
        self.polling = False
        #: Counters for diagnostics and the load tests: the largest dirty set held, how often
        #: it collapsed to whole folders, and how many event-queue overflows were heard.
        self.peak_pending = 0
        self.collapses = 0
        self.overflows = 0
        self._dirty: set[str] = set()
        #: Roots whose whole tree is dirty: paths under them need not be kept one by one.
        self._whole: set[str] = set()
        self._overflow_listener = _OverflowListener(self)
        self._first_event = 0.0
        self._last_event = 0.0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._observer: Any = None
        self._thread: threading.Thread | None = None
        self._missing: set[str] = set()

    def mark(self, paths: Iterable[str]) -> None:
        """Record changed paths (called from watchdog's thread)."""
        with self._cond:
            now = time.monotonic()
            was_empty = not self._dirty
            if was_empty:
                self._first_event = now
            if self._whole:
                self._dirty.update(p for p in paths if not self._in_whole(p))
            else:
                self._dirty.update(paths)
            if len(self._dirty) > self.max_pending:
                log.info("over %d changed paths: rescanning their folders", self.max_pending)
                self._collapse(self._dirty)
            self.peak_pending = max(self.peak_pending, len(self._dirty))
            self._last_event = now
            if was_empty:
                # Only the first change wakes the delivery thread; from then on it checks the
                # quiet period on its own. Waking it on every event of a storm cost a thread
                # switch per event and let watchdog's queue fall seconds behind.
                self._cond.notify()

    def events_lost(self) -> None:
        """Changes happened that no event reported (a queue overflow): rescan every folder."""
        with self._cond:
            if self._whole.issuperset(self.roots):
                return  # already rescanning everything (watchdog reports one overflow twice)
            log.warning("file events were lost (event queue overflow); rescanning the folders")
            self.overflows += 1
            now = time.monotonic()
            if not self._dirty:
                self._first_event = now
            self._collapse(self.roots)
            self._last_event = now
            self._cond.notify()

    def _in_whole(self, path: str) -> bool:
        return any(is_within(path, root) for root in self._whole)

    def _collapse(self, paths: Iterable[str]) -> None:
        """Replace the dirty set by the roots ``paths`` lie under (their whole trees).

        Never a path is dropped without a dirty folder above it: the planner walks a dirty
        folder and re-stats everything in it, deletions included. Whole roots, not parent
        folders: a walk from the root applies the exclusion patterns exactly as a full scan.
        """
        roots = {root for path in paths for root in self.roots if is_within(path, root)}
        # Paths outside every root (the observer reports none; the engine ignores them) are
        # kept as they are, so nothing is lost whoever handles the changes.
        outside = {p for p in self._dirty if not any(is_within(p, r) for r in self.roots)}
        self._whole |= roots
        self._dirty = outside | self._whole
        self.collapses += 1

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._dirty)

    def start(self) -> None:
        logging.getLogger("watchdog").addHandler(self._overflow_listener)
        self._observer = self._make_observer(self.force_polling)
        try:
            self._schedule_all(self._observer)
            self._observer.start()
        except OSError as exc:
            if self.force_polling:
                raise
            log.warning("native file events unavailable (%s); polling instead", exc)
            self._observer = self._make_observer(True)
            self._schedule_all(self._observer)
            self._observer.start()
        self._thread = threading.Thread(target=self._deliver, name="watcher", daemon=True)
        self._thread.start()

    def _make_observer(self, polling: bool) -> Any:
        if polling:
            from watchdog.observers.polling import PollingObserver

            self.polling = True
            return PollingObserver(timeout=1.0)
        from watchdog.observers import Observer

        return Observer()

    def _schedule_all(self, observer: Any) -> None:
        handler = _Collector(self)
        for root in self.roots:
            if os.path.isdir(root):
                observer.schedule(handler, root, recursive=True)
            else:
                self._missing.add(root)
                self.on_problem(root, "watched folder not found")

    def _deliver(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._dirty:
                    self._cond.wait(timeout=1.0)
                    self._check_roots()
                    continue
                now = time.monotonic()
                quiet = now - self._last_event >= self.debounce_s
                overdue = now - self._first_event >= self.max_wait_s
                if not (quiet or overdue):
                    self._cond.wait(timeout=self.debounce_s / 4)
                    continue
                batch, self._dirty = self._dirty, set()
                self._whole = set()
            try:
                self.on_changes(batch)
            except Exception:  # a failing handler must not kill the watcher
                log.exception("handling %d changed paths failed", len(batch))

    def _check_roots(self) -> None:
        for root in self.roots:
            if self._stop.is_set():
                return  # stopping: the observer must not be given new watches
            gone = not os.path.isdir(root)
            if gone and root not in self._missing:
                self._missing.add(root)
                self.on_problem(root, "watched folder disappeared")
            elif not gone and root in self._missing:
                self._missing.discard(root)
                log.info("watched folder %s is back", root)
                if self._observer is not None:
                    try:
                        self._observer.schedule(_Collector(self), root, recursive=True)
                    except OSError as exc:
                        self.on_problem(root, f"cannot watch the folder again: {exc}")
                self.mark([root])  # rescan it: anything may have changed meanwhile

    def stop(self) -> None:
        """Stop watching; returns once none of the watcher's threads runs any more.

        The delivery thread goes first, so it cannot schedule a returning folder on an observer
        being stopped, then the observer (which joins its emitters). Neither is given up on
        after a timeout, as they once were: the delivery thread calls ``on_changes`` and
        ``on_problem``, which use their owner's objects (the GUI bridge's queue and signals,
        the CLI's engine), so a thread left running would keep calling them while the owner
        closes them, and, being a daemon, while the interpreter finalizes. The delivery thread
        never blocks for more than a second of waiting plus the callback it is in.
        """
        logging.getLogger("watchdog").removeHandler(self._overflow_listener)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():  # not when start() failed before starting it
                self._observer.join()
