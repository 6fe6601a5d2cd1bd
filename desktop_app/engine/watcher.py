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
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

ChangeHandler = Callable[[set[str]], None]
ProblemHandler = Callable[[str, str], None]


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
    ) -> None:
        self.roots = [os.path.abspath(r) for r in roots]
        self.on_changes = on_changes
        self.on_problem = on_problem or (lambda path, message: log.warning("%s: %s", path, message))
        self.debounce_s = debounce_s
        self.max_wait_s = max_wait_s
        self.force_polling = force_polling
        self.polling = False
        self._dirty: set[str] = set()
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
            if not self._dirty:
                self._first_event = now
            self._dirty.update(paths)
            self._last_event = now
            self._cond.notify()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._dirty)

    def start(self) -> None:
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
            try:
                self.on_changes(batch)
            except Exception:  # a failing handler must not kill the watcher
                log.exception("handling %d changed paths failed", len(batch))

    def _check_roots(self) -> None:
        for root in self.roots:
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
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
        if self._thread is not None:
            self._thread.join(5)
