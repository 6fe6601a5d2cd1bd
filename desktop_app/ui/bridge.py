"""The one door between the widgets and the engine.

Widgets call the bridge's methods, which only queue work and return at once; the work runs on
the bridge's threads (one for engine jobs such as indexing, one for searches, so a query never
waits behind an indexing batch, and one for memory readings). Results come back to the GUI
thread only as Qt signals, connected with ``Qt.QueuedConnection`` by the window, carrying whole
Python objects that no worker touches again.

The engine (and with it lancedb and llama.cpp) is created on the engine thread, after the
window has painted.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.engine.errors import UserFacingError

if TYPE_CHECKING:
    from desktop_app.engine.pipeline import Progress
    from desktop_app.engine.query import Filters
    from desktop_app.engine.service import Engine
    from desktop_app.engine.watcher import FolderWatcher

log = logging.getLogger(__name__)

MEMORY_INTERVAL_S = 1.0
#: How often shutdown re-sends the cancel while it waits for the threads to end.
SHUTDOWN_POLL_S = 0.05
#: Past this, shutdown logs which threads it still waits for (it keeps waiting: see shutdown).
SHUTDOWN_WARN_S = 30.0
#: How often folder counts are refreshed while indexing.
STATUS_INTERVAL_S = 2.0


class EngineBridge(QObject):
    """Engine events -> queued Qt signals; GUI commands -> engine jobs on worker threads."""

    engine_ready = Signal(object)  # dict: model, dimension, store
    engine_failed = Signal(str)
    progress = Signal(object)  # Progress snapshot
    index_finished = Signal(object)  # IndexSummary
    status_changed = Signal(object)  # Engine.status() dict
    results = Signal(int, object)  # request id, SearchResponse
    search_failed = Signal(int, str)
    memory = Signal(object)  # dict: rss, available, total, budget, level
    problem = Signal(str, str)  # path, message (e.g. a watched folder vanished)
    error = Signal(str)  # a command failed (bad folder, ...)
    models_changed = Signal(object)  # list of dicts: id, dimension, size, installed, current...
    download_progress = Signal(int, int)  # bytes done, total
    download_done = Signal(str, str)  # model id, error ("" on success)
    #: The index is damaged (or of another model): the message, and a repair is possible.
    damaged = Signal(str)
    repair_finished = Signal(object)  # DoctorReport after a repair

    def __init__(self, engine_factory: Callable[[], Engine] | None = None) -> None:
        super().__init__()
        self._factory = engine_factory
        self.engine: Engine | None = None
        self._jobs: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._search_lock = threading.Condition()
        self._pending_search: tuple[int, str, str, Filters | None] | None = None
        self._search_id = 0
        self._stop = threading.Event()
        self._watcher: FolderWatcher | None = None
        self._threads: list[threading.Thread] = []
        self.indexing = False
        self.embed_rate = 0.0  # chunks/s of the last indexing run, for cost estimates
        self.chunk_count = 0
        self.dimension = 0
        self._download_cancel = threading.Event()
        self._downloads: list[threading.Thread] = []
        self._shut_down = False
        self._last_status = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads or self._stop.is_set():
            return  # started already, or shut down before the event loop got here
        for name, target in (
            ("engine-jobs", self._job_loop),
            ("search", self._search_loop),
            ("memory", self._memory_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._jobs.put(("start", None))

    def shutdown(self) -> None:
        """Stop every thread, then close the engine; committed work is never lost.

        The order is the point: the engine's llama.cpp contexts and LanceDB handles are freed
        only once no thread of ours can touch them, and no thread of ours outlives this call
        (a daemon thread still running while the interpreter finalizes is a crash of its own).
        So threads are never given up on after a timeout, as they once were: closing the
        engine under a job thread still embedding is a use after free. They are made to end
        instead: the run in progress is cancelled again every few hundredths of a second for
        as long as the job thread lives, because a cancel sent while the engine was still
        loading, or a plan was being walked, finds no pipeline and would be lost, and that run
        would go on to its end. Idempotent (``aboutToQuit`` and ``run_gui`` both call it).
        """
        if self._shut_down:
            return
        self._shut_down = True
        self._stop.set()
        self._download_cancel.set()
        self._jobs.put(("stop", None))
        with self._search_lock:
            self._search_lock.notify_all()
        started = time.monotonic()
        warned = False
        while alive := [t for t in [*self._threads, *self._downloads] if t.is_alive()]:
            engine = self.engine
            if engine is not None:
                engine.cancel()
            alive[0].join(SHUTDOWN_POLL_S)
            if not warned and time.monotonic() - started > SHUTDOWN_WARN_S:
                warned = True
                log.warning("quitting waits for %s", ", ".join(t.name for t in alive))
        if self._watcher is not None:  # no job thread is left to restart it
            self._watcher.stop()
            self._watcher = None
        if self.engine is not None:
            self.engine.close()

    # -- commands (GUI thread; never block) --------------------------------------------------

    def search(self, query: str, mode: str = "hybrid", filters: Filters | None = None) -> int:
        """Queue a search; a newer one replaces one not started yet. Returns its id."""
        with self._search_lock:
            self._search_id += 1
            self._pending_search = (self._search_id, query, mode, filters)
            self._search_lock.notify()
            return self._search_id

    def similar(self, path: str) -> int:
        with self._search_lock:
            self._search_id += 1
            self._pending_search = (self._search_id, path, "similar", None)
            self._search_lock.notify()
            return self._search_id

    def add_folder(self, path: str) -> None:
        self._jobs.put(("add", path))

    def set_folder_paused(self, path: str, paused: bool) -> None:
        self._jobs.put(("pause_folder" if paused else "resume_folder", path))

    def remove_folder(self, path: str) -> None:
        self._jobs.put(("remove", path))

    def retry(self, paths: list[str]) -> None:
        self._jobs.put(("retry", paths))

    def apply_settings(self, values: dict[str, Any]) -> None:
        """Validate and save settings on the engine thread (errors come back on ``error``)."""
        self._jobs.put(("settings", values))

    def list_models(self) -> None:
        self._jobs.put(("models", None))

    def add_model(self, path: str) -> None:
        self._jobs.put(("add_model", path))

    def switch_model(self, model_id: str) -> None:
        self._jobs.put(("switch_model", model_id))

    def download_model(self, model_id: str) -> None:
        """Download on a thread of its own, so indexing and searching carry on."""
        self._download_cancel.clear()
        thread = threading.Thread(
            target=self._download, args=(model_id,), name="download", daemon=True
        )
        thread.start()
        # Kept for shutdown, which cancels and joins it: it emits on this object.
        self._downloads = [t for t in self._downloads if t.is_alive()] + [thread]

    def cancel_download(self) -> None:
        self._download_cancel.set()

    def refresh_status(self) -> None:
        self._jobs.put(("status", None))

    def repair(self) -> None:
        """Check the index and repair it as ``doctor --repair`` does (progress as indexing)."""
        self._jobs.put(("repair", None))

    def pause(self) -> None:
        if self.engine is not None:
            self.engine.pause()

    def resume(self) -> None:
        if self.engine is not None:
            self.engine.resume()

    # -- engine thread -----------------------------------------------------------------------

    def _job_loop(self) -> None:
        while not self._stop.is_set():
            kind, arg = self._jobs.get()
            if kind == "stop":
                return
            try:
                self._run_job(kind, arg)
            except Exception as exc:
                if self.engine is None:
                    if not _is_damage(exc):
                        log.exception("the engine could not start")
                    self.engine_failed.emit(str(exc))
                else:
                    if not isinstance(exc, UserFacingError):
                        log.exception("%s failed", kind)
                    self.error.emit(str(exc))
                self._report_damage(exc)  # after the message it completes

    def _report_damage(self, exc: Exception) -> None:
        if _is_damage(exc):
            self.damaged.emit(str(exc))

    def _run_job(self, kind: str, arg: Any) -> None:
        if kind == "start":
            self._start_engine()
        elif kind == "repair":
            self._repair()
            return
        elif self.engine is None and kind not in ("models", "add_model", "status"):
            raise RuntimeError("the search engine is not running; repair the index first")
        elif kind == "add":
            assert self.engine is not None
            roots = self.engine.add_folders([arg])
            self._emit_status()  # the panel shows the folder at once, counts follow
            self._restart_watcher()
            self._index(lambda e: e.plan(roots))
        elif kind == "remove":
            assert self.engine is not None
            self.engine.remove_folder(arg)
            self._restart_watcher()
        elif kind in ("pause_folder", "resume_folder"):
            assert self.engine is not None
            self.engine.set_folder_paused(arg, kind == "pause_folder")
            if kind == "resume_folder":
                self._index(lambda e: e.plan([arg]))  # catch up with what changed meanwhile
        elif kind == "changes":
            self._index(lambda e: e.plan_paths(arg))
        elif kind == "settings":
            assert self.engine is not None
            problems = []
            for name, value in arg.items():
                try:
                    self.engine.settings.set(name, value)
                except ValueError as exc:
                    problems.append(f"{name}: {exc}")
            self.engine.settings.save()
            if problems:
                self.error.emit("Some settings were not changed: " + "; ".join(problems))
        elif kind == "models":
            self._emit_models()
        elif kind == "add_model":
            from desktop_app.engine.models import add_model_file

            add_model_file(Path(arg))
            self._emit_models()
        elif kind == "switch_model":
            self._switch_model(arg)
        elif kind == "retry":
            assert self.engine is not None
            self.engine.store.forget(arg)
            self._index(lambda e: e.plan())
        if kind != "start":
            self._emit_status()

    def _start_engine(self) -> None:
        if self._factory is not None:
            engine = self._factory()
        else:
            from desktop_app.engine.service import Engine

            engine = Engine()
        engine.store  # noqa: B018  (opens or creates the index: errors surface here)
        engine.query_embedder  # noqa: B018
        engine.index_embedder  # noqa: B018
        self.engine = engine
        self.engine_ready.emit(
            {
                "model": engine.model.id,
                "dimension": engine.model.dimension,
                "store": engine.store_uri,
            }
        )
        self._emit_status()
        self._restart_watcher()
        if engine.folders:
            self._index(lambda e: e.plan())  # catch up with changes made while closed

    def _repair(self) -> None:
        """``doctor --repair`` on the engine, or on a fresh one if the index kept it from
        starting; then (re)start normally."""
        engine = self.engine
        if engine is None:
            if self._factory is not None:
                engine = self._factory()
            else:
                from desktop_app.engine.service import Engine

                engine = Engine()
        self.indexing = True
        try:
            report = engine.doctor(repair=True, progress=self._on_progress)
        finally:
            self.indexing = False
            if self.engine is None:
                engine.close()  # the repaired index is opened afresh by _start_engine
        self.repair_finished.emit(report)
        if self.engine is None:
            self._start_engine()
        else:
            self._emit_status()

    def _emit_models(self) -> None:
        from desktop_app.engine.models import CATALOGUE, installed_models

        current = self.engine.model.id if self.engine is not None else ""
        rows: list[dict[str, Any]] = []
        installed = {m.id: m for m in installed_models()}
        for model in installed.values():
            spec = CATALOGUE.get(model.id)
            rows.append(
                {
                    "id": model.id,
                    "dimension": model.dimension,
                    "size": model.size,
                    "installed": True,
                    "current": model.id == current,
                    "url": "",
                    "description": spec.description if spec else str(model.path),
                }
            )
        for spec in CATALOGUE.values():
            if spec.id not in installed and spec.url:
                rows.append(
                    {
                        "id": spec.id,
                        "dimension": spec.dimension,
                        "size": spec.size,
                        "installed": False,
                        "current": False,
                        "url": spec.url,
                        "description": spec.description,
                    }
                )
        self.models_changed.emit(rows)

    def _download(self, model_id: str) -> None:
        from desktop_app.engine.models import download_model

        try:
            download_model(
                model_id, progress=self.download_progress.emit, cancel=self._download_cancel
            )
        except Exception as exc:
            self.download_done.emit(model_id, str(exc))
            return
        self.download_done.emit(model_id, "")

    def _switch_model(self, model_id: str) -> None:
        """Save the choice, start an engine on the new model, re-index every folder."""
        old = self.engine
        assert old is not None
        old.settings.set("model_id", model_id)
        old.settings.save()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        self.engine = None
        old.close()
        from desktop_app.engine.service import Engine

        self._factory = lambda: Engine(old.settings)
        self._start_engine()

    def _index(self, make_plan: Callable[[Engine], Any]) -> None:
        engine = self.engine
        assert engine is not None
        if self._stop.is_set():
            return  # quitting: a run started now (say, the catch-up scan) would only be cancelled
        self.indexing = True
        try:
            plan = make_plan(engine)
            summary = engine.run_plan(plan, self._on_progress)
        finally:
            self.indexing = False
        if summary.embedded and summary.seconds:
            self.embed_rate = summary.embedded / summary.seconds
        self.index_finished.emit(summary)
        if not self._stop.is_set():  # quit would wait for a build that cannot be interrupted
            engine.ensure_vector_index()

    def _on_progress(self, progress: Progress) -> None:
        self.progress.emit(replace(progress))
        now = time.monotonic()
        if now - self._last_status >= STATUS_INTERVAL_S:  # pending counts move during a run
            self._last_status = now
            self._emit_status()

    def _emit_status(self) -> None:
        if self.engine is not None:
            status = self.engine.status()
            self.chunk_count = status["chunks"]
            self.dimension = status["dimension"]
            self.status_changed.emit(status)

    def _restart_watcher(self) -> None:
        from desktop_app.engine.watcher import FolderWatcher

        assert self.engine is not None
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        if self.engine.folders and not self._stop.is_set():
            self._watcher = FolderWatcher(
                self.engine.folders,
                lambda paths: self._jobs.put(("changes", paths)),
                debounce_s=self.engine.settings["watch_debounce_s"],
                on_problem=self.problem.emit,
            )
            self._watcher.start()

    # -- search thread -----------------------------------------------------------------------

    def _search_loop(self) -> None:
        while not self._stop.is_set():
            with self._search_lock:
                while self._pending_search is None and not self._stop.is_set():
                    self._search_lock.wait(0.5)
                if self._stop.is_set():
                    return
                request = self._pending_search
                self._pending_search = None
            assert request is not None
            request_id, text, mode, filters = request
            engine = self.engine
            if engine is None:
                self.search_failed.emit(request_id, "the search engine is still starting")
                continue
            try:
                if mode == "similar":
                    response = engine.similar(text)
                else:
                    response = engine.search(text, mode=mode, filters=filters)
            except Exception as exc:
                if not isinstance(exc, UserFacingError):
                    log.exception("search failed")
                self._report_damage(exc)
                self.search_failed.emit(request_id, str(exc))
                continue
            self.results.emit(request_id, response)

    # -- memory thread -----------------------------------------------------------------------

    def _memory_loop(self) -> None:
        from desktop_app.engine.memory import read_memory

        while not self._stop.wait(MEMORY_INTERVAL_S if self.engine else 0.2):
            engine = self.engine
            if engine is None:
                continue
            governor = engine.governor()
            reading = read_memory()
            self.memory.emit(
                {
                    "rss": reading.rss,
                    "available": reading.available,
                    "total": reading.total,
                    "budget": governor.budget_bytes,
                    "level": governor.level(reading).value,
                    "model_bytes": engine.model.size,
                    "time": time.time(),
                }
            )


def _is_damage(exc: BaseException) -> bool:
    """A store error that ``doctor --repair`` fixes: damage, another schema or another model.
    Not a full disk: repairing would throw away an index that only needs space."""
    from desktop_app.engine.store import DiskFullError, StoreError

    return isinstance(exc, StoreError) and not isinstance(exc, DiskFullError)
