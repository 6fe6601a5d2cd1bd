"""Turn a plan into an up-to-date index: extract -> chunk -> embed -> write.

Three stages overlap so the CPU-bound embedding never waits on disk or on LanceDB:

* an *extract* thread drives the process pool (:mod:`extract_pool`) and queues documents;
* the calling thread chunks them, reuses stored vectors for chunk texts seen before, and embeds
  the rest in length-sorted batches (similar lengths waste less padding work);
* a *writer* thread commits finished files in batches, by count and by time.

Pause holds the embedding stage between batches (extraction stops too, once its queue is
full); cancel stops all three. Whatever was committed is complete: a file's chunks and its
manifest row go in the same batch, so an interrupted run simply resumes with the files that
were not committed. A write that fails (a full disk: :class:`~store.DiskFullError`) stops the
run with that error; the batches committed before it stay, and the next run resumes.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop_app.engine.chunking import Chunk, chunk_document, distinct_chunks, truncation_note
from desktop_app.engine.embedder import Embedder
from desktop_app.engine.eta import Throughput
from desktop_app.engine.extract_pool import OCR_OFF, ExtractPool, ExtractResult, OcrOptions
from desktop_app.engine.memory import MemoryGovernor, Pressure
from desktop_app.engine.records import (
    STATUS_FAILED,
    STATUS_INDEXED,
    STATUS_SKIPPED,
    TRUNCATED,
    ChunkData,
    FileRecord,
    FileUpdate,
)
from desktop_app.engine.scanner import Plan
from desktop_app.engine.store import (
    Store,
    StoreError,
    chunk_data_from_rows,
)

log = logging.getLogger(__name__)

_DONE = object()
#: Seconds between memory readings while paused for memory.
MEMORY_POLL_S = 1.0


@dataclass(frozen=True)
class PipelineConfig:
    workers: int = 2
    timeout_s: float = 60.0
    max_bytes: int = 100 * 1024 * 1024
    ocr: OcrOptions = OCR_OFF  # images and scanned pages: off unless the engine asks
    overlap_tokens: int = 32
    #: Distinct passages kept per file; a longer file is indexed in part, marked truncated.
    max_chunks_per_file: int = 5000
    #: Chunks embedded together (sorted by length within the batch).
    embed_batch: int = 32
    #: A commit happens when this many files are ready, or ``commit_interval_s`` has passed.
    commit_files: int = 64
    commit_interval_s: float = 2.0


@dataclass
class Progress:
    """A snapshot for whoever listens (CLI prints it, the GUI bridge turns it into signals)."""

    files_total: int = 0
    files_done: int = 0
    files_failed: int = 0
    chunks_done: int = 0
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current_file: str = ""
    paused: bool = False
    #: Why indexing is paused: "user" or "memory" (empty while running).
    paused_reason: str = ""
    #: Memory pressure seen by the governor: "ok", "elevated" or "critical".
    memory: str = "ok"
    last_error: tuple[str, str, str] | None = None


@dataclass
class IndexSummary:
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    removed: int = 0
    renamed: int = 0
    touched: int = 0
    #: Files indexed in part: more distinct passages than ``max_chunks_per_file``.
    truncated: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)


ProgressCallback = Callable[[Progress], None]


class Pipeline:
    """One index run at a time over one store with one embedder."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        config: PipelineConfig | None = None,
        governor: MemoryGovernor | None = None,
        throughput: Throughput | None = None,
    ) -> None:
        self.store = store
        self.throughput = throughput or Throughput()  # the ETA's pace (engine/eta.py)
        self.embedder = embedder
        self.config = config or PipelineConfig()
        self.governor = governor
        self._allowed_batch = self.config.embed_batch
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()  # set = not paused
        prefix_tokens = embedder.count_tokens(embedder.model.document_prefix)
        self.max_tokens = embedder.max_text_tokens - prefix_tokens

    # -- control (any thread) ----------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # -- the run -----------------------------------------------------------------------------

    def run(self, plan: Plan, progress: ProgressCallback | None = None) -> IndexSummary:
        started = time.monotonic()
        self._cancel.clear()
        summary = IndexSummary(unchanged=plan.unchanged)
        state = Progress(files_total=len(plan.to_index))
        report = progress or (lambda p: None)

        self._apply_moves(plan, summary)
        if not plan.to_index:
            summary.seconds = time.monotonic() - started
            return summary

        extracted: queue.Queue[object] = queue.Queue(maxsize=64)
        writes: queue.Queue[object] = queue.Queue()
        writer_error: list[BaseException] = []
        pool = ExtractPool.configured(self.config)
        extractor = threading.Thread(
            target=self._extract_stage, name="extract", args=(pool, plan, extracted), daemon=True
        )
        writer = threading.Thread(
            target=self._write_stage, name="index-writer", args=(writes, writer_error), daemon=True
        )
        extractor.start()
        writer.start()
        try:
            self._embed_stage(plan, extracted, writes, summary, state, report)
        finally:
            writes.put(_DONE)
            writer.join()
            if extractor.is_alive():
                self._cancel.set()
                _drain(extracted)
                extractor.join()
            pool.close()
        if writer_error:
            raise writer_error[0]
        summary.cancelled = self._cancel.is_set() and state.files_done < state.files_total
        summary.seconds = time.monotonic() - started
        self.store.maybe_optimize()
        return summary

    def _apply_moves(self, plan: Plan, summary: IndexSummary) -> None:
        """Renames, touches and deletions: rows rewritten with their vectors, nothing embedded.

        A touched file (same content, new mtime) has its rows rewritten too, so that the
        ``mtime`` column the date filters use stays true.
        """
        moves = [(info.path, info, content_hash) for info, content_hash in plan.touched]
        moves += plan.renamed
        if not moves and not plan.deleted:
            return
        manifest = self.store.manifest() if moves else {}
        sources = [old for old, _, _ in moves]
        rows_by_path = _split_by_path(self.store.rows_for_paths(sources)) if sources else {}
        updates: list[FileUpdate] = []
        moved_from: list[str] = []
        for old_path, info, content_hash in moves:
            old = manifest.get(old_path)
            rows = rows_by_path.get(old_path)
            have = rows.num_rows if rows is not None else 0
            if old is None or have != (old.chunk_count if old.status == STATUS_INDEXED else 0):
                plan.new.append(info)  # rows missing or partial: index it afresh
                if old_path != info.path:
                    plan.deleted.append(old_path)
                continue
            record = FileRecord(
                **{
                    **old.__dict__,
                    "path": info.path,
                    "size": info.size,
                    "mtime_ns": info.mtime_ns,
                    "content_hash": content_hash,
                }
            )
            data = (
                chunk_data_from_rows(rows.sort_by("chunk_index"))
                if rows is not None and have
                else None
            )
            updates.append(FileUpdate(record, data))
            if old_path != info.path:
                moved_from.append(old_path)
        if updates or plan.deleted or moved_from:
            self.store.apply(updates, [*plan.deleted, *moved_from])
        summary.touched = len(plan.touched)
        summary.renamed = len(moved_from)
        summary.removed = len(plan.deleted)

    def _extract_stage(self, pool: ExtractPool, plan: Plan, out: queue.Queue[object]) -> None:
        try:
            for result in pool.run(plan.to_index, self._cancel):
                _put(out, result, self._cancel)
        except BaseException as exc:  # surface in the embedding stage instead of dying quietly
            log.exception("extraction stage failed")
            _put(out, exc, self._cancel)
        finally:
            _put(out, _DONE, self._cancel)

    def _embed_stage(
        self,
        plan: Plan,
        extracted: queue.Queue[object],
        writes: queue.Queue[object],
        summary: IndexSummary,
        state: Progress,
        report: ProgressCallback,
    ) -> None:
        window_start = time.monotonic()
        batch: list[tuple[ExtractResult, list[Chunk], int]] = []
        batch_chunks = 0
        finished = False
        while not finished and not self._cancel.is_set():
            try:
                item = extracted.get(timeout=0.2)
            except queue.Empty:
                if not batch:
                    continue
                item = None
            if item is _DONE:
                finished = True
            elif isinstance(item, BaseException):
                raise item
            elif isinstance(item, ExtractResult):
                state.current_file = item.info.path
                if item.document is None:
                    writes.put(self._failure(item, summary, state))
                    state.files_done += 1
                    report(state)
                    continue
                chunks, distinct = distinct_chunks(
                    chunk_document(
                        item.document,
                        self.embedder.count_tokens,
                        self.max_tokens,
                        self.config.overlap_tokens,
                    ),
                    self.config.max_chunks_per_file,
                )
                batch.append((item, chunks, distinct))
                batch_chunks += len(chunks)
            if batch and (finished or item is None or batch_chunks >= self._allowed_batch):
                self._allowed_batch = self._throttle(state, report)
                if self._cancel.is_set():
                    break
                for update in self._embed_batch(batch, summary, self._allowed_batch):
                    writes.put(update)
                state.files_done += len(batch)
                state.chunks_done = summary.embedded
                state.chunks_per_s = summary.embedded / max(time.monotonic() - window_start, 1e-6)
                self.throughput.observe(state.files_done)
                state.eta_s = self.throughput.eta(state.files_total - state.files_done)
                report(state)
                batch, batch_chunks = [], 0

    def _throttle(self, state: Progress, report: ProgressCallback) -> int:
        """Wait while paused by the user or by critical memory; return the batch size allowed.

        Pressure is read before every batch, so indexing slows down, stops and starts again
        by itself as memory comes and goes.
        """
        base = self.config.embed_batch
        while not self._cancel.is_set():
            level = self.governor.level() if self.governor else Pressure.OK
            state.memory = level.value
            reason = (
                "user"
                if not self._running.is_set()
                else ("memory" if level is Pressure.CRITICAL else "")
            )
            if not reason:
                if state.paused:
                    state.paused, state.paused_reason = False, ""
                    self.throughput.restart(state.files_done)  # paused time is not a pace
                    report(state)
                return self.governor.batch_size(base, level) if self.governor else base
            if state.paused_reason != reason:
                if reason == "memory":
                    log.warning("memory is short: indexing paused until it recovers")
                state.paused, state.paused_reason = True, reason
                report(state)
            if reason == "user":
                self._running.wait(0.2)
            else:
                self._cancel.wait(MEMORY_POLL_S)
        return base

    def _failure(self, item: ExtractResult, summary: IndexSummary, state: Progress) -> object:
        info = item.info
        if item.vanished:
            return ("delete", info.path)
        status = STATUS_SKIPPED if item.reason == "unsupported" else STATUS_FAILED
        if status == STATUS_FAILED:
            summary.failed += 1
            state.files_failed += 1
            state.last_error = (info.path, item.reason, item.message)
            summary.errors.append(
                {"path": info.path, "reason": item.reason, "message": item.message}
            )
        else:
            summary.skipped += 1
        return FileUpdate(
            FileRecord(
                path=info.path,
                size=info.size,
                mtime_ns=info.mtime_ns,
                content_hash=item.content_hash,
                status=status,
                reason=item.reason,
                message=item.message,
                indexed_at=time.time(),
                model_id=self.embedder.model_id,
            )
        )

    def _embed_batch(
        self,
        batch: list[tuple[ExtractResult, list[Chunk], int]],
        summary: IndexSummary,
        per_call: int,
    ) -> list[FileUpdate]:
        """Vectors for every chunk of the batch's files: stored ones reused, the rest embedded.

        A file with more distinct passages than it may keep is indexed (its first passages)
        with reason ``truncated``, so status and the Problems view tell the user.
        """
        all_chunks = [c for _, chunks, _ in batch for c in chunks]
        hashes = [c.hash for c in all_chunks]
        known = self.store.cached_vectors(hashes)
        missing = {h: c.text for h, c in zip(hashes, all_chunks, strict=True) if h not in known}
        if missing:
            order = sorted(missing, key=lambda h: len(missing[h]))
            for start in range(0, len(order), max(1, per_call)):
                part = order[start : start + max(1, per_call)]
                vectors = self.embedder.embed_documents([missing[h] for h in part])
                known.update(zip(part, vectors, strict=True))
        summary.embedded += len(missing)
        summary.reused += len(all_chunks) - len(missing)
        updates = []
        for result, chunks, distinct in batch:
            document = result.document
            assert document is not None
            info = result.info
            data = ChunkData(
                texts=[c.text for c in chunks],
                hashes=[c.hash for c in chunks],
                vectors=np.stack([known[c.hash] for c in chunks])
                if chunks
                else np.zeros((0, self.embedder.dimension), np.float32),
                char_starts=[c.char_start for c in chunks],
                char_ends=[c.char_end for c in chunks],
                pages=[c.page for c in chunks],
                sections=[c.section for c in chunks],
            )
            reason, message = (result.reason, result.message) if chunks else ("no_text", "")
            if distinct > len(chunks):
                reason, message = TRUNCATED, truncation_note(len(chunks), distinct)
                summary.truncated += 1
            record = FileRecord(
                path=info.path,
                size=info.size,
                mtime_ns=info.mtime_ns,
                content_hash=result.content_hash,
                status=STATUS_INDEXED if chunks else STATUS_SKIPPED,
                reason=reason,
                message=message,
                chunk_count=len(chunks),
                indexed_at=time.time(),
                model_id=self.embedder.model_id,
                title=document.title,
                file_type=document.file_type,
            )
            summary.indexed += 1 if chunks else 0
            summary.chunks += len(chunks)
            updates.append(FileUpdate(record, data if chunks else None))
        return updates

    def _write_stage(self, writes: queue.Queue[object], errors: list[BaseException]) -> None:
        pending: list[FileUpdate] = []
        deleted: list[str] = []
        first = 0.0
        done = False
        while not done:
            try:
                item = writes.get(timeout=0.25)
            except queue.Empty:
                item = None
            if item is _DONE:
                done = True
            elif isinstance(item, FileUpdate):
                pending.append(item)
            elif isinstance(item, tuple):
                deleted.append(item[1])
            if (pending or deleted) and not first:
                first = time.monotonic()
            due = (
                done
                or len(pending) >= self.config.commit_files
                or (first and time.monotonic() - first >= self.config.commit_interval_s)
            )
            if due and (pending or deleted) and not errors:
                try:
                    self.store.apply(pending, deleted)
                    # Compaction here, not only at the end of the run: a first run over a
                    # large folder makes thousands of commits, and every cache lookup scans
                    # every fragment they leave.
                    self.store.maybe_optimize()
                except StoreError as exc:
                    # A full disk: the caller shows the message. Not logged, since the log
                    # file is usually on that same full disk.
                    errors.append(exc)
                    self._cancel.set()
                except Exception as exc:
                    log.exception("index write failed")
                    errors.append(exc)
                    self._cancel.set()
                pending, deleted, first = [], [], 0.0


def _put(out: queue.Queue[object], item: object, cancel: threading.Event) -> None:
    """Queue ``item`` unless the run is cancelled (never block forever on a full queue)."""
    while not cancel.is_set():
        try:
            out.put(item, timeout=0.2)
            return
        except queue.Full:
            continue
    if item is _DONE:
        with contextlib.suppress(queue.Full):
            out.put_nowait(item)


def _drain(q: queue.Queue[object]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            q.get_nowait()


def _split_by_path(rows: Any) -> dict[str, Any]:
    """An Arrow table of chunk rows split into one table per path."""
    import pyarrow.compute as pc

    return {
        path: rows.filter(pc.equal(rows.column("path"), path))
        for path in set(rows.column("path").to_pylist())
    }
