"""The engine's background work: one job thread, the folder watcher, and typed events.

Every command that changes the index or its configuration (add, remove, pause or resume a
folder, retry files, change settings, switch or add a model, repair) and every change set the
watcher reports become jobs on one queue, carried out in order on one thread. So no two of
them ever race (a folder removed while its files are still being indexed, a model switched
under a run), and the front ends never need a lock. Searches run on their own thread
(:class:`~desktop_app.engine.search_queue.SearchQueue`), so a query never waits behind an
indexing batch.

What happens is reported through one callback as :mod:`~desktop_app.engine.events`; the window's
bridge turns them into Qt signals, ``desktop-search watch`` prints them. The callback is called
on the runner's threads and must only hand the event on.

The engine is created on the job thread (so lancedb and llama.cpp load after the window has
painted), and closed by :meth:`shutdown` only once no thread of ours can touch it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.events import (
    CommandFailed,
    DownloadDone,
    DownloadProgress,
    EngineEvent,
    EngineFailed,
    EngineStarted,
    FolderProblem,
    IndexFinished,
    IndexProgress,
    MemorySampled,
    ModelsListed,
    Repaired,
    StatusChanged,
)
from desktop_app.engine.search_queue import SearchQueue

if TYPE_CHECKING:
    from desktop_app.engine.pipeline import Progress
    from desktop_app.engine.scanner import Plan
    from desktop_app.engine.service import Engine
    from desktop_app.engine.status import EngineStatus
    from desktop_app.engine.watcher import FolderWatcher

log = logging.getLogger(__name__)

EventSink = Callable[[EngineEvent], None]

#: How often memory is sampled for the gauge (``memory_interval_s=None``: never).
MEMORY_INTERVAL_S = 1.0
#: How often shutdown re-sends the cancel while it waits for the threads to end.
SHUTDOWN_POLL_S = 0.05
#: Past this, shutdown logs which threads it still waits for (it keeps waiting: see shutdown).
SHUTDOWN_WARN_S = 30.0
#: Settings after whose change pictures and scanned PDFs are read again.
OCR_SETTINGS = ("ocr_enabled", "ocr_excluded_folders", "ocr_max_pages", "ocr_languages")
#: How often folder counts are refreshed while indexing.
STATUS_INTERVAL_S = 2.0


class EngineNotRunning(UserFacingError):
    """A command that needs the engine, sent while it is down (it failed to start)."""


@dataclass(frozen=True)
class _Job:
    """One unit of work for the job thread; ``needs_engine`` jobs fail while it is down."""

    name: str
    run: Callable[[], None]
    needs_engine: bool = True


def needs_repair(exc: BaseException) -> bool:
    """A store error that ``doctor --repair`` fixes: damage, another schema or another model.
    Not a full disk: repairing would throw away an index that only needs space."""
    from desktop_app.engine.store import DiskFullError, StoreError

    return isinstance(exc, StoreError) and not isinstance(exc, DiskFullError)


def _new_engine() -> Engine:
    """The engine on the user's settings (imported here: the module stays light to import,
    so the window shows before numpy, lancedb and llama.cpp load)."""
    from desktop_app.engine.service import Engine

    return Engine()


class EngineRunner:
    """The engine, started and driven on background threads; commands return at once."""

    def __init__(
        self,
        on_event: EventSink,
        engine_factory: Callable[[], Engine] | None = None,
        memory_interval_s: float | None = MEMORY_INTERVAL_S,
    ) -> None:
        self._emit = on_event
        self._factory = engine_factory or _new_engine
        self._memory_interval_s = memory_interval_s
        self.engine: Engine | None = None
        #: True while an indexing run (or a repair) is in progress.
        self.indexing = False
        #: Chunks per second of the last run that embedded, for cost estimates.
        self.embed_rate = 0.0
        #: The last status reported (``None`` until the engine is up).
        self.status: EngineStatus | None = None
        self.stopping = threading.Event()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._watcher: FolderWatcher | None = None
        self._threads: list[threading.Thread] = []
        self._download_cancel = threading.Event()
        self._downloads: list[threading.Thread] = []
        self._shut_down = False
        self._last_status = 0.0
        self.searches = SearchQueue(lambda: self.engine, on_event, needs_repair)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the threads; the first job creates the engine and catches up with changes."""
        if self._threads or self.stopping.is_set():
            return  # started already, or shut down before the caller got here
        loops: list[tuple[str, Callable[[], None]]] = [("engine-jobs", self._job_loop)]
        loops.append(("search", lambda: self.searches.serve(self.stopping)))
        if self._memory_interval_s is not None:
            loops.append(("memory", self._memory_loop))
        for name, target in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._put("start", self._start_engine, needs_engine=False)

    def alive_threads(self) -> list[threading.Thread]:
        return [t for t in [*self._threads, *self._downloads] if t.is_alive()]

    def shutdown(self) -> None:
        """Stop every thread, then close the engine; committed work is never lost.

        The order is the point: the engine's llama.cpp contexts and LanceDB handles are freed
        only once no thread of ours can touch them, and no thread of ours outlives this call
        (a daemon thread still running while the interpreter finalizes is a crash of its own).
        So threads are never given up on after a timeout: closing the engine under a job thread
        still embedding is a use after free. They are made to end instead: the run in progress
        is cancelled again every few hundredths of a second for as long as the job thread
        lives, because a cancel sent while the engine was still loading, or a plan was being
        walked, finds no pipeline and would be lost, and that run would go on to its end.
        Idempotent.
        """
        if self._shut_down:
            return
        self._shut_down = True
        self.stopping.set()
        self._download_cancel.set()
        self._jobs.put(None)
        self.searches.wake()
        started = time.monotonic()
        warned = False
        while alive := self.alive_threads():
            engine = self.engine
            if engine is not None:
                engine.cancel()
            alive[0].join(SHUTDOWN_POLL_S)
            if not warned and time.monotonic() - started > SHUTDOWN_WARN_S:
                warned = True
                log.warning("quitting waits for %s", ", ".join(t.name for t in alive))
        self._stop_watcher()  # no job thread is left to restart it
        if self.engine is not None:
            self.engine.close()

    # -- commands (any thread; they only queue work) -----------------------------------------

    def add_folder(self, path: str) -> None:
        self._put("add folder", lambda: self._add_folder(path))

    def remove_folder(self, path: str) -> None:
        self._put("remove folder", lambda: self._remove_folder(path))

    def set_folder_paused(self, path: str, paused: bool) -> None:
        self._put("pause folder", lambda: self._set_paused(path, paused))

    def retry(self, paths: list[str]) -> None:
        """Index these files again (after the user fixed what made them fail)."""
        self._put("retry", lambda: self._retry(paths))

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Validate and save settings; what is refused comes back as one CommandFailed."""
        self._put("settings", lambda: self._apply_settings(values))

    def list_models(self) -> None:
        self._put("models", self._list_models, needs_engine=False)

    def add_model(self, path: str) -> None:
        self._put("add model", lambda: self._add_model(path), needs_engine=False)

    def switch_model(self, model_id: str) -> None:
        """Save the choice, start an engine on the new model, re-index every folder."""
        self._put("switch model", lambda: self._switch_model(model_id))

    def refresh_status(self) -> None:
        self._put("status", lambda: None, needs_engine=False)

    def repair(self) -> None:
        """Check the index and repair it as ``doctor --repair`` does (progress as indexing)."""
        self._put("repair", self._repair, needs_engine=False)

    def download_model(self, model_id: str) -> None:
        """Download on a thread of its own, so indexing and searching carry on."""
        self._download_cancel.clear()
        thread = threading.Thread(
            target=self._download, args=(model_id,), name="download", daemon=True
        )
        thread.start()
        # Kept for shutdown, which cancels and joins it.
        self._downloads = [t for t in self._downloads if t.is_alive()] + [thread]

    def cancel_download(self) -> None:
        self._download_cancel.set()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the run in progress (at once, not queued: the job thread is busy
        with that run)."""
        engine = self.engine
        if engine is not None:
            (engine.pause if paused else engine.resume)()

    # -- the job thread ----------------------------------------------------------------------

    def _put(self, name: str, run: Callable[[], None], needs_engine: bool = True) -> None:
        self._jobs.put(_Job(name, run, needs_engine))

    def _job_loop(self) -> None:
        while not self.stopping.is_set():
            job = self._jobs.get()
            if job is None:
                return
            try:
                if job.needs_engine and self.engine is None:
                    raise EngineNotRunning(
                        "the search engine is not running; repair the index first"
                    )
                job.run()
                if job.name != "start":
                    self._emit_status()
            except Exception as exc:
                self._report_failure(job, exc)

    def _report_failure(self, job: _Job, exc: Exception) -> None:
        """A start (or a repair that was to start the engine) that failed is EngineFailed, the
        window's "could not start" page; any other job's failure is CommandFailed."""
        damaged = needs_repair(exc)
        if self.engine is None and not job.needs_engine and job.name in ("start", "repair"):
            if not damaged:
                log.exception("the engine could not start")
            self._emit(EngineFailed(str(exc), damaged))
        else:
            if not isinstance(exc, UserFacingError):
                log.exception("%s failed", job.name)
            self._emit(CommandFailed(str(exc), damaged))

    def _require(self) -> Engine:
        assert self.engine is not None  # the job loop runs needs_engine jobs only with one
        return self.engine

    def _start_engine(self) -> None:
        engine = self._factory()
        engine.store  # noqa: B018  (opens or creates the index: errors surface here)
        engine.query_embedder  # noqa: B018
        engine.index_embedder  # noqa: B018
        self.engine = engine
        catch_up = bool(engine.folders) and not self.stopping.is_set()
        self._emit(EngineStarted(engine.model, engine.store_uri, catching_up=catch_up))
        self._emit_status()
        self._restart_watcher()
        if catch_up:
            self._index(lambda e: e.plan())  # catch up with changes made while closed

    def _add_folder(self, path: str) -> None:
        roots = self._require().add_folders([path])
        self._emit_status()  # the folder shows at once, counts follow
        self._restart_watcher()
        self._index(lambda e: e.plan(roots))

    def _remove_folder(self, path: str) -> None:
        self._require().remove_folder(path)
        self._restart_watcher()

    def _set_paused(self, path: str, paused: bool) -> None:
        self._require().set_folder_paused(path, paused)
        self._emit_status()  # the pane says "paused" at once, not at the next status
        if not paused:
            self._index(lambda e: e.plan([path]))  # catch up with what changed meanwhile

    def _retry(self, paths: list[str]) -> None:
        self._require().store.forget(paths)
        self._index(lambda e: e.plan())

    def _apply_settings(self, values: dict[str, Any]) -> None:
        engine = self._require()
        settings = engine.settings
        problems = []
        ocr_before = {n: settings[n] for n in OCR_SETTINGS}
        for name, value in values.items():
            try:
                settings.set(name, value)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        settings.save()
        if problems:
            self._emit(CommandFailed("Some settings were not changed: " + "; ".join(problems)))
        languages_changed = settings["ocr_languages"] != ocr_before["ocr_languages"]
        changed = any(settings[n] != ocr_before[n] for n in OCR_SETTINGS)
        if changed and engine.reread_for_ocr(languages_changed):
            self._index(lambda e: e.plan())  # pictures and scans that OCR now reads

    def _list_models(self) -> None:
        from desktop_app.engine.models import model_rows

        current = self.engine.model.id if self.engine is not None else ""
        self._emit(ModelsListed(tuple(model_rows(current))))

    def _add_model(self, path: str) -> None:
        from desktop_app.engine.models import add_model_file

        add_model_file(Path(path))
        self._list_models()

    def _switch_model(self, model_id: str) -> None:
        old = self._require()
        old.settings.set("model_id", model_id)
        old.settings.save()
        self._stop_watcher()
        self.engine = None
        old.close()
        from desktop_app.engine.service import Engine

        self._factory = lambda: Engine(old.settings)
        self._start_engine()

    def _repair(self) -> None:
        """``doctor --repair`` on the engine, or on a fresh one if the index kept it from
        starting; then (re)start normally."""
        engine = self.engine or self._factory()
        self.indexing = True
        try:
            report = engine.doctor(repair=True, progress=self._on_progress)
        finally:
            self.indexing = False
            if self.engine is None:
                engine.close()  # the repaired index is opened afresh by _start_engine
        self._emit(Repaired(report))
        if self.engine is None:
            self._start_engine()

    def _index(self, make_plan: Callable[[Engine], Plan]) -> None:
        engine = self._require()
        if self.stopping.is_set():
            return  # quitting: a run started now (say, the catch-up scan) would only be cancelled
        self.indexing = True
        try:
            summary = engine.run_plan(make_plan(engine), self._on_progress)
        finally:
            self.indexing = False
        if summary.embedded and summary.seconds:
            self.embed_rate = summary.embedded / summary.seconds
        self._emit(IndexFinished(summary))
        self._emit_status()  # the counts the run changed (a catch-up run ends no other job)
        if not self.stopping.is_set():  # quit would wait for a build that cannot be interrupted
            engine.ensure_vector_index()

    def _on_progress(self, progress: Progress) -> None:
        self._emit(IndexProgress(replace(progress)))
        now = time.monotonic()
        if now - self._last_status >= STATUS_INTERVAL_S:  # pending counts move during a run
            self._last_status = now
            self._emit_status()

    def _emit_status(self) -> None:
        if self.engine is not None:
            self.status = self.engine.status()
            self._emit(StatusChanged(self.status))

    # -- the watcher -------------------------------------------------------------------------

    def _restart_watcher(self) -> None:
        from desktop_app.engine.watcher import FolderWatcher

        engine = self._require()
        self._stop_watcher()
        if engine.folders and not self.stopping.is_set():
            self._watcher = FolderWatcher(
                engine.folders,
                self._on_changes,
                debounce_s=engine.settings["watch_debounce_s"],
                on_problem=lambda path, message: self._emit(FolderProblem(path, message)),
            )
            self._watcher.start()

    def _on_changes(self, paths: set[str]) -> None:
        """A debounced change set from the watcher: queued behind whatever runs now."""
        self._put("changes", lambda: self._index(lambda e: e.plan_paths(paths)))

    def _stop_watcher(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    # -- downloads and memory ----------------------------------------------------------------

    def _download(self, model_id: str) -> None:
        from desktop_app.engine.models import download_model

        def progress(done: int, total: int) -> None:
            self._emit(DownloadProgress(done, total))

        try:
            download_model(model_id, progress=progress, cancel=self._download_cancel)
        except Exception as exc:
            self._emit(DownloadDone(model_id, str(exc)))
            return
        self._emit(DownloadDone(model_id))

    def _memory_loop(self) -> None:
        from desktop_app.engine.memory import MemoryStatus, read_memory

        interval = self._memory_interval_s or MEMORY_INTERVAL_S
        while not self.stopping.wait(interval if self.engine else 0.2):
            engine = self.engine
            if engine is None:
                continue
            governor = engine.governor()
            reading = read_memory()
            memory = MemoryStatus(
                rss=reading.rss,
                available=reading.available,
                total=reading.total,
                budget=governor.budget_bytes,
                level=governor.level(reading),
                model_bytes=engine.model.size,
                time=time.time(),
            )
            self._emit(MemorySampled(memory))
