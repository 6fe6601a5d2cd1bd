"""Turn a plan into an up-to-date index: extract -> chunk -> embed -> write.

Three stages overlap so the CPU-bound embedding never waits on disk or on LanceDB:

* an *extract* thread drives the process pool (:mod:`extract_pool`) and queues documents;
* the calling thread chunks them, reuses stored vectors for chunk texts seen before, and embeds
  the rest in length-sorted batches (similar lengths waste less padding work);
* a *writer* thread commits finished files in batches, by count and by time.

Pause holds the embedding stage between batches and the pool (no file is handed out, and a
worker reading a scan waits before its next page); cancel stops all three. While a scan is
read, the OCR page counts and the memory governor are looked at between files too.

Whatever was committed is complete: a file's chunks and its manifest row go in the same
batch, so an interrupted run simply resumes with the files that were not committed. A write
that fails (a full disk: :class:`~store.DiskFullError`) stops the run with that
error; the batches committed before it stay, and the next run resumes.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from desktop_app.engine.chunking import Chunk, chunk_document, distinct_chunks, truncation_note
from desktop_app.engine.embedder import Embedder
from desktop_app.engine.eta import Throughput
from desktop_app.engine.extract_pool import OCR_OFF, ExtractPool, ExtractResult, OcrOptions
from desktop_app.engine.memory import MemoryGovernor, Pressure
from desktop_app.engine.moves import apply_moves
from desktop_app.engine.progress import IndexSummary as IndexSummary  # re-exported
from desktop_app.engine.progress import Progress as Progress
from desktop_app.engine.progress import ProgressCallback as ProgressCallback
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
        self._memory_short = False  # paused by the memory governor
        self._pool: ExtractPool | None = None  # the current run's
        self._memory_read = 0.0
        prefix_tokens = embedder.count_tokens(embedder.model.document_prefix)
        self.max_tokens = embedder.max_text_tokens - prefix_tokens

    # -- control (any thread) ----------------------------------------------------------------

    def pause(self) -> None:
        self._running.clear()
        self._sync_pool()

    def resume(self) -> None:
        self._running.set()
        self._sync_pool()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()
        self._sync_pool()

    def _sync_pool(self) -> None:
        """The pool is paused while the user or the memory governor pauses the run."""
        pool = self._pool
        if pool is not None:
            pool.set_paused(not self._cancel.is_set() and self._pause_reason() != "")

    def _pause_reason(self) -> str:
        return "user" if not self._running.is_set() else ("memory" if self._memory_short else "")

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

        apply_moves(self.store, plan, summary)
        if not plan.to_index:
            summary.seconds = time.monotonic() - started
            return summary

        extracted: queue.Queue[object] = queue.Queue(maxsize=64)
        writes: queue.Queue[object] = queue.Queue()
        writer_error: list[BaseException] = []
        pool = ExtractPool.configured(self.config)
        self._memory_short = False
        self._pool = pool
        self._sync_pool()
        extractor = threading.Thread(
            target=self._extract_stage, name="extract", args=(pool, plan, extracted), daemon=True
        )
        writer = threading.Thread(
            target=self._write_stage, name="index-writer", args=(writes, writer_error), daemon=True
        )
        extractor.start()
        writer.start()
        try:
            self._embed_stage(pool, extracted, writes, summary, state, report)
        finally:
            self._pool = None
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
        pool: ExtractPool,
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
                    self._idle(pool, state, report)
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
                    _note_ocr(pool, state)
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
                _note_ocr(pool, state)
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
            self._set_memory_short(level is Pressure.CRITICAL)
            reason = self._pause_reason()
            if self._show_pause(state, reason):
                report(state)
            if not reason:
                return self.governor.batch_size(base, level) if self.governor else base
            if reason == "user":
                self._running.wait(0.2)
            else:
                self._cancel.wait(MEMORY_POLL_S)
        return base

    def _idle(self, pool: ExtractPool, state: Progress, report: ProgressCallback) -> None:
        """Nothing to embed (a worker may be reading a long scan): keep the OCR page counts,
        the memory pause and the paused state up to date, and report when they change.

        Memory is read here only while a scan is being read, at most once per
        ``MEMORY_POLL_S``: a text-only run reads it before each batch, as before.
        """
        changed = _note_ocr(pool, state)
        now = time.monotonic()
        due = now - self._memory_read >= MEMORY_POLL_S
        if self.governor is not None and state.ocr_file and due:
            self._memory_read = now
            level = self.governor.level()
            state.memory = level.value
            self._set_memory_short(level is Pressure.CRITICAL)
        if self._show_pause(state, self._pause_reason()) or changed:
            report(state)

    def _set_memory_short(self, short: bool) -> None:
        if short != self._memory_short:
            self._memory_short = short
            self._sync_pool()

    def _show_pause(self, state: Progress, reason: str) -> bool:
        """Put the pause ``reason`` ("" = running) into ``state``; True when it changed."""
        if state.paused_reason == reason:
            return False
        if reason == "memory":
            log.warning("memory is short: indexing paused until it recovers")
        if not reason:
            self.throughput.restart(state.files_done)  # paused time is not a pace
        state.paused, state.paused_reason = bool(reason), reason
        return True

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


def _note_ocr(pool: ExtractPool, state: Progress) -> bool:
    """Copy the pool's OCR page counts into ``state``; True when they changed."""
    counts = pool.ocr_counts()
    now = (counts.done, counts.total, counts.file, counts.more)
    if now == (state.ocr_pages_done, state.ocr_pages_total, state.ocr_file, state.ocr_more):
        return False
    state.ocr_pages_done, state.ocr_pages_total, state.ocr_file, state.ocr_more = now
    return True


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
