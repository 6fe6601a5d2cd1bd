"""What the index holds, as typed rows: the status the CLI prints and the window shows.

One function computes it from the manifest (:func:`compute_status`), so ``desktop-search
status`` and the window's folders pane and problems dialog can never disagree. The rows are
frozen dataclasses: they cross from the engine's thread to the GUI thread whole, and nobody
touches them again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from desktop_app.engine.extract.base import OCR_INCOMPLETE
from desktop_app.engine.pathnames import os_path
from desktop_app.engine.records import (
    STATUS_FAILED,
    STATUS_INDEXED,
    STATUS_SKIPPED,
    TRUNCATED,
    FileRecord,
)
from desktop_app.engine.scanner import FileInfo, is_within


@dataclass(frozen=True)
class FolderStatus:
    """One indexed folder: does it exist, what of it is indexed, what waits."""

    path: str
    exists: bool
    indexed: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    paused: bool = False


@dataclass(frozen=True)
class FileCounts:
    indexed: int = 0
    failed: int = 0
    skipped: int = 0
    #: Indexed in part (a very long file): counted in ``indexed`` too.
    truncated: int = 0


@dataclass(frozen=True)
class FileProblem:
    """A file that failed (``failures``) or was indexed with a caveat (``notices``)."""

    path: str
    reason: str
    message: str


@dataclass(frozen=True)
class EngineStatus:
    model: str
    dimension: int
    store: str
    folders: tuple[FolderStatus, ...] = ()
    files: FileCounts = field(default_factory=FileCounts)
    chunks: int = 0
    failures: tuple[FileProblem, ...] = ()
    notices: tuple[FileProblem, ...] = ()


def compute_status(
    head: EngineStatus,
    manifest: Mapping[str, FileRecord],
    folders: Iterable[str],
    paused: Iterable[str],
    in_flight: Mapping[str, FileInfo],
) -> EngineStatus:
    """``head`` (model, store, chunk count) completed with counts per folder and problems.

    ``in_flight`` are the files of the run in progress: those not yet in the manifest as they
    are on disk count as *pending* in their folder.
    """
    paused_set = set(paused)
    names = list(folders)
    counts = {name: dict.fromkeys(("indexed", "failed", "skipped", "pending"), 0) for name in names}

    def bump(path: str, what: str) -> None:
        for name in names:
            if is_within(path, name):
                counts[name][what] += 1

    for path, info in in_flight.items():
        record = manifest.get(path)
        if record is None or (record.size, record.mtime_ns) != (info.size, info.mtime_ns):
            bump(path, "pending")
    totals = dict.fromkeys((STATUS_INDEXED, STATUS_FAILED, STATUS_SKIPPED, TRUNCATED), 0)
    failures, notices = [], []
    for record in manifest.values():
        if record.status in (STATUS_INDEXED, STATUS_FAILED, STATUS_SKIPPED):
            totals[record.status] += 1
            bump(record.path, record.status)
        problem = FileProblem(record.path, record.reason, record.message)
        if record.status == STATUS_FAILED:
            failures.append(problem)
        elif record.reason == TRUNCATED:
            totals[TRUNCATED] += 1
            notices.append(problem)
        elif record.reason == OCR_INCOMPLETE:  # indexed, but some scanned pages went unread
            notices.append(problem)
    return replace(
        head,
        folders=tuple(
            FolderStatus(
                name, os.path.isdir(os_path(name)), paused=name in paused_set, **counts[name]
            )
            for name in names
        ),
        files=FileCounts(
            totals[STATUS_INDEXED], totals[STATUS_FAILED], totals[STATUS_SKIPPED], totals[TRUNCATED]
        ),
        failures=tuple(sorted(failures, key=lambda f: f.path)),
        notices=tuple(sorted(notices, key=lambda f: f.path)),
    )
