"""What the engine's background work tells its front ends, as typed events.

:class:`~desktop_app.engine.runner.EngineRunner` does the work on its own threads and reports
everything through one callback that receives these events. The window's bridge turns each into
a queued Qt signal; ``desktop-search watch`` prints them. Every event is frozen and carries only
objects no worker touches again, so it may cross to another thread as it is. The payload types
are imported for type checking only: importing the events costs nothing at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.engine.memory import MemoryStatus
    from desktop_app.engine.models import InstalledModel, ModelRow
    from desktop_app.engine.pipeline import IndexSummary, Progress
    from desktop_app.engine.search import SearchResponse
    from desktop_app.engine.status import EngineStatus
    from desktop_app.engine.store import DoctorReport


@dataclass(frozen=True)
class EngineStarted:
    """The engine is up: the model loaded, the index at ``store`` open (searches can start)."""

    model: InstalledModel
    store: str
    #: A catch-up run over the folders follows at once (the window says "Looking for
    #: changes…" rather than "Up to date" until it ends).
    catching_up: bool = False


@dataclass(frozen=True)
class EngineFailed:
    """The engine could not start; ``damaged`` when a repair of the index would fix it."""

    message: str
    damaged: bool = False


@dataclass(frozen=True)
class CommandFailed:
    """A command could not be carried out (a bad folder, a bad setting, a damaged index)."""

    message: str
    damaged: bool = False


@dataclass(frozen=True)
class IndexProgress:
    progress: Progress


@dataclass(frozen=True)
class IndexFinished:
    summary: IndexSummary


@dataclass(frozen=True)
class StatusChanged:
    status: EngineStatus


@dataclass(frozen=True)
class FolderProblem:
    """Something the watcher noticed about a folder (it vanished, it cannot be watched)."""

    path: str
    message: str


@dataclass(frozen=True)
class Repaired:
    report: DoctorReport


@dataclass(frozen=True)
class ModelsListed:
    rows: tuple[ModelRow, ...]


@dataclass(frozen=True)
class DownloadProgress:
    done: int
    total: int


@dataclass(frozen=True)
class DownloadDone:
    """A download ended: ``error`` says why it failed, empty when the model is installed."""

    model_id: str
    error: str = ""


@dataclass(frozen=True)
class SearchDone:
    request_id: int
    response: SearchResponse


@dataclass(frozen=True)
class SearchFailed:
    request_id: int
    message: str
    damaged: bool = False


@dataclass(frozen=True)
class MemorySampled:
    memory: MemoryStatus


#: Everything :class:`~desktop_app.engine.runner.EngineRunner` reports.
EngineEvent = (
    EngineStarted
    | EngineFailed
    | CommandFailed
    | IndexProgress
    | IndexFinished
    | StatusChanged
    | FolderProblem
    | Repaired
    | ModelsListed
    | DownloadProgress
    | DownloadDone
    | SearchDone
    | SearchFailed
    | MemorySampled
)
