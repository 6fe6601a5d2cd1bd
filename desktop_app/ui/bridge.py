"""The one door between the widgets and the engine: engine events in, window requests out.

The engine's background work (indexing, the watcher, searches, memory readings) runs on its own
threads in :class:`~desktop_app.engine.runner.EngineRunner`. The bridge translates each engine
event into a Qt signal; the window connects those signals with ``Qt.QueuedConnection``, so they
reach the GUI thread carrying whole objects no worker touches again. Requests go the other way
as calls on :attr:`EngineBridge.runner`, whose every command only queues work and returns at
once (a search returns the id its answer will carry), so the GUI thread never blocks.

The engine (and with it lancedb and llama.cpp) is created on the runner's thread, after the
window has painted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop_app.engine import events
from desktop_app.engine.query import Filters, FilterToken, filter_tokens
from desktop_app.engine.runner import EngineRunner

if TYPE_CHECKING:
    from desktop_app.engine.service import Engine

__all__ = ["EngineBridge", "FilterToken", "Filters", "filter_tokens"]


class EngineBridge(QObject):
    """Engine events -> queued Qt signals; window requests -> ``runner`` (they only queue)."""

    engine_ready = Signal(object)  # EngineStarted
    engine_failed = Signal(str)
    progress = Signal(object)  # Progress snapshot
    index_finished = Signal(object)  # IndexSummary
    status_changed = Signal(object)  # EngineStatus
    results = Signal(int, object)  # request id, SearchResponse
    search_failed = Signal(int, str)
    memory = Signal(object)  # MemoryStatus
    problem = Signal(str, str)  # path, message (e.g. a watched folder vanished)
    error = Signal(str)  # a command failed (bad folder, ...)
    models_changed = Signal(object)  # tuple of ModelRow
    download_progress = Signal(int, int)  # bytes done, total
    download_done = Signal(str, str)  # model id, error ("" on success)
    #: The index is damaged (or of another model): the message, and a repair is possible.
    damaged = Signal(str)
    repair_finished = Signal(object)  # DoctorReport after a repair

    def __init__(self, engine_factory: Callable[[], Engine] | None = None) -> None:
        super().__init__()
        self.runner = EngineRunner(self._on_event, engine_factory)
        self._translate: dict[type[Any], Callable[[Any], None]] = {
            events.EngineStarted: self.engine_ready.emit,
            events.EngineFailed: self._failed,
            events.CommandFailed: self._failed,
            events.IndexProgress: lambda e: self.progress.emit(e.progress),
            events.IndexFinished: lambda e: self.index_finished.emit(e.summary),
            events.StatusChanged: lambda e: self.status_changed.emit(e.status),
            events.FolderProblem: lambda e: self.problem.emit(e.path, e.message),
            events.Repaired: lambda e: self.repair_finished.emit(e.report),
            events.ModelsListed: lambda e: self.models_changed.emit(e.rows),
            events.DownloadProgress: lambda e: self.download_progress.emit(e.done, e.total),
            events.DownloadDone: lambda e: self.download_done.emit(e.model_id, e.error),
            events.SearchDone: lambda e: self.results.emit(e.request_id, e.response),
            events.SearchFailed: self._search_failed,
            events.MemorySampled: lambda e: self.memory.emit(e.memory),
        }

    def _on_event(self, event: events.EngineEvent) -> None:
        """Called on the runner's threads: emitting is all it does."""
        self._translate[type(event)](event)

    def _failed(self, event: events.EngineFailed | events.CommandFailed) -> None:
        signal = self.engine_failed if isinstance(event, events.EngineFailed) else self.error
        signal.emit(event.message)
        if event.damaged:
            self.damaged.emit(event.message)  # after the message it completes

    def _search_failed(self, event: events.SearchFailed) -> None:
        if event.damaged:
            self.damaged.emit(event.message)
        self.search_failed.emit(event.request_id, event.message)

    # -- what the window reads ---------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The running engine (``None`` while it starts, or when it could not start)."""
        return self.runner.engine

    @property
    def indexing(self) -> bool:
        return self.runner.indexing

    @property
    def embed_rate(self) -> float:
        """Chunks per second of the last indexing run, for cost estimates (0: not measured)."""
        return self.runner.embed_rate

    @property
    def chunk_count(self) -> int:
        status = self.runner.status
        return status.chunks if status is not None else 0

    @property
    def dimension(self) -> int:
        status = self.runner.status
        return status.dimension if status is not None else 0

    def settings_values(self) -> dict[str, Any]:
        """The settings in force: the running engine's, or those saved if it is not up."""
        engine = self.runner.engine
        if engine is not None:
            return engine.settings.as_dict()
        from desktop_app.settings import Settings

        return Settings.load().as_dict()

    # -- lifecycle (GUI thread) --------------------------------------------------------------

    def start(self) -> None:
        self.runner.start()

    def shutdown(self) -> None:
        """Stop the engine's threads, then close it (see EngineRunner.shutdown). Idempotent
        (``aboutToQuit`` and ``run_gui`` both call it)."""
        self.runner.shutdown()
