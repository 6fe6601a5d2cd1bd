"""Run extraction in worker processes, with a time limit per file.

Why processes, not threads: a pathological PDF can keep a native parser busy forever, and a
thread cannot be stopped. A worker that exceeds the limit is killed and replaced, and the file
is recorded as ``timeout``; a worker that crashes (a segfault in a native library) is replaced
and the file recorded as ``corrupt``. Either way the run goes on.

Workers also hash the file's bytes, so a file is read from disk for extraction and hashing in
one place, and the hash recorded in the manifest is of the very bytes that were extracted.

On Linux the workers fork from multiprocessing's fork server, which outlives the pool: the
engine stops it when idle (:func:`stop_fork_server`), and the next pool starts it again.

OCR: the workers get the run's ``OcrOptions``; image files go after the other files of a run
(text first, pictures behind), and a worker reading pages by OCR sends a heartbeat before
each page, which restarts its time limit: the limit is per page of OCR, not per scanned file.
The heartbeat carries the page's counts (added up in :attr:`ExtractPool.tally` for the
progress line) and waits while the pool is paused (:meth:`ExtractPool.set_paused`), so a
pause reaches a worker in the middle of a long scan; see ``engine/ocr/phase.py``.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from desktop_app.engine.extract import Document, ExtractionError, extract
from desktop_app.engine.extract.base import OCR_INCOMPLETE, fault, set_heartbeat
from desktop_app.engine.extract.base import OCR_OFF as OCR_OFF  # re-exported for the pipeline
from desktop_app.engine.extract.base import OcrOptions as OcrOptions
from desktop_app.engine.extract.registry import IMAGE_EXTENSIONS
from desktop_app.engine.ocr.phase import HEARTBEAT as HEARTBEAT  # re-exported
from desktop_app.engine.ocr.phase import (
    OcrCounts,
    OcrTally,
    PageStart,
    PauseFlag,
    worker_heartbeat,
)
from desktop_app.engine.pathnames import display, os_path
from desktop_app.engine.scanner import FileInfo, hash_file

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 120.0
#: A worker is retired after this many files and a fresh one forked in its place. Why: the
#: parsers leave their high-water heap behind, and a worker grew from 12 to about 100 MB (PSS)
#: over 4,000 mixed files; a fork from the preloaded server is ready in milliseconds.
RECYCLE_AFTER_FILES = 200
#: Imported by the fork server so that workers share their pages instead of each importing
#: them (about 25 MB a worker). A library that fails to import is skipped by multiprocessing.
PRELOAD = [
    "desktop_app.engine.extract.dispatch",
    "pypdfium2",
    "pypdfium2.raw",
    "docx",
    "pptx",
    "openpyxl",
]

#: Pools whose workers may be alive: the fork server is never stopped under them.
_pools_in_use: set[int] = set()
_pools_lock = threading.Lock()


@dataclass(frozen=True)
class ExtractResult:
    info: FileInfo
    document: Document | None
    content_hash: str
    reason: str = ""
    message: str = ""
    #: The file disappeared before it could be read: not a failure, a deletion.
    vanished: bool = False


class PoolConfig(Protocol):
    """What :meth:`ExtractPool.configured` reads (``PipelineConfig`` has it)."""

    @property
    def workers(self) -> int: ...
    @property
    def timeout_s(self) -> float: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def ocr(self) -> OcrOptions: ...


def _extract_one(
    path_key: str, max_bytes: int, ocr: OcrOptions = OCR_OFF
) -> tuple[Document | None, str, str, str, bool]:
    """(document, hash, reason, message, vanished) for one file (a key); never raises.

    The size cap is checked before the file is hashed: hashing reads every byte, and a 2 GB
    file (which cannot be indexed anyway) took 8 s to hash. Such a file keeps an empty hash.
    """
    path = os_path(path_key)
    try:
        size = os.stat(path).st_size
    except FileNotFoundError:
        return None, "", "", "", True
    except OSError as exc:
        return None, "", "unreadable", f"cannot access: {exc.strerror or exc}", False
    if size > max_bytes:
        return None, "", "too_large", f"{size} bytes, more than the {max_bytes} allowed", False
    try:
        content_hash = hash_file(path_key)
    except FileNotFoundError:
        return None, "", "", "", True
    except OSError as exc:
        return None, "", "unreadable", f"cannot read: {exc.strerror or exc}", False
    try:
        document = extract(
            Path(path), max_bytes=max_bytes, ocr=ocr, content_hash=content_hash, path_key=path_key
        )
        reason, message = _page_note(document)
        return document, content_hash, reason, message, False
    except ExtractionError as exc:
        return None, content_hash, exc.reason, str(exc.message), False
    except FileNotFoundError:
        return None, "", "", "", True
    except MemoryError:
        return None, content_hash, "too_large", "ran out of memory while extracting", False
    except Exception as exc:  # an extractor bug must not stop the run: record it
        return None, content_hash, "corrupt", fault(exc), False


def _page_note(document: Document) -> tuple[str, str]:
    """The file's notice when some pages were left out (the rest of the file is indexed)."""
    problems = document.page_problems
    if not problems:
        return "", ""
    shown = ", ".join(f"page {p.page}: {p.message}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return OCR_INCOMPLETE, f"{len(problems)} page(s) not read by OCR: {shown}{more}"


#: What a worker logged while extracting one file: (level, logger name, message, time).
LogLines = list[tuple[int, str, str, float]]


class _Collect(logging.Handler):
    """Keeps a worker's log records until they travel back with the file's outcome.

    A worker has no handler of its own (it is forked from a bare server): without this, the
    extractors' warnings (a skipped PDF page, a broken header) were lost.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lines: LogLines = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.name, record.getMessage(), record.created))

    def take(self) -> LogLines:
        lines, self.lines = self.lines, []
        return lines


def _worker_main(
    conn: Connection,
    max_bytes: int,
    log_level: int = logging.INFO,
    ocr: OcrOptions = OCR_OFF,
    paused: PauseFlag | None = None,
) -> None:
    """Worker process loop: receive a path, send back the extraction outcome and its log."""
    import desktop_app.engine.extract.dispatch  # noqa: F401 (warm-up, see below)

    set_heartbeat(worker_heartbeat(conn.send, paused))

    collect = _Collect()
    root = logging.getLogger()
    root.handlers[:] = [collect]
    root.setLevel(log_level)
    logging.captureWarnings(True)
    conn.send("ready")  # start-up (imports) must not count against the first file's limit
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):  # the app is gone (or reset the pipe)
            return
        if path is None:
            return
        outcome = _extract_one(path, max_bytes, ocr)
        conn.send((outcome, collect.take()))


def _is_image(info: FileInfo) -> bool:
    return os.path.splitext(info.path)[1].lower() in IMAGE_EXTENSIONS


def _may_need_ocr(info: FileInfo) -> bool:
    return _is_image(info) or info.path.lower().endswith(".pdf")


def _turn(info: FileInfo, ocr: bool) -> int:
    """Text and office files first, then (with OCR on) PDFs, which may be scans, pictures last."""
    if _is_image(info):
        return 2
    return 1 if ocr and info.path.lower().endswith(".pdf") else 0


def _replay(lines: LogLines) -> None:
    """Log a worker's records in this process, under their own logger names, with the time
    they were made in the worker (they travel back only with the file's outcome)."""
    for level, name, message, created in lines:
        logger = logging.getLogger(name)
        if logger.isEnabledFor(level):
            record = logger.makeRecord(
                name, level, "(extraction worker)", 0, "%s", (message,), None
            )
            record.created = created
            record.msecs = (created - int(created)) * 1000
            logger.handle(record)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: FileInfo | None = None
    started: float = 0.0
    files: int = 0  # files extracted by this process


def _ask_to_exit(worker: _Worker) -> None:
    with contextlib.suppress(OSError):  # already gone
        worker.conn.send(None)


def _wait_for_exit(worker: _Worker, timeout: float = 2.0) -> None:
    """Join a worker that was asked to exit; kill it if it does not within ``timeout``."""
    worker.process.join(timeout)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join(timeout)


class ExtractPool:
    """A few extraction processes; :meth:`run` yields results as files finish (any order)."""

    def __init__(
        self,
        workers: int = 2,
        timeout: float = 60.0,
        max_bytes: int = 100 * 1024 * 1024,
        recycle_after: int = RECYCLE_AFTER_FILES,
        ocr: OcrOptions = OCR_OFF,
    ) -> None:
        self.size = max(1, workers)
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.ocr = ocr
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        # A spawned worker starts a whole interpreter (about a second): not worth recycling.
        self.recycle_after = max(1, recycle_after) if method == "forkserver" else sys.maxsize
        self._ctx: Any = multiprocessing.get_context(method)
        if method == "forkserver":
            # Workers fork from a server that already imported the extractors: a replacement
            # for a killed worker is ready in milliseconds.
            self._ctx.set_forkserver_preload([__name__, *PRELOAD])
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._paused = PauseFlag(self._ctx)
        #: The current run's OCR pages (read from any thread: :meth:`ocr_counts`).
        self.tally = OcrTally()

    def set_paused(self, paused: bool) -> None:
        """Pause (or resume), from any thread: no file is handed out, and a worker reading a
        scan waits before its next page (a file or page already in hand finishes)."""
        self._paused.set(paused)

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def ocr_counts(self) -> OcrCounts:
        return self.tally.counts()

    @classmethod
    def configured(cls, config: PoolConfig) -> ExtractPool:
        """A pool for a pipeline's configuration (workers, time limit, size cap, OCR)."""
        return cls(config.workers, config.timeout_s, config.max_bytes, ocr=config.ocr)

    def _start_worker(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        level = logging.getLogger().getEffectiveLevel()
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.max_bytes, level, self.ocr, self._paused),
            name="extract",
            daemon=True,
        )
        process.start()
        child.close()
        if not parent.poll(STARTUP_TIMEOUT_S) or parent.recv() != "ready":
            process.kill()
            raise RuntimeError("an extraction worker process failed to start")
        return _Worker(process, parent)

    def run(
        self, files: Iterable[FileInfo], cancel: threading.Event | None = None
    ) -> Iterator[ExtractResult]:
        """Extract every file; stops early (without yielding the rest) when ``cancel`` is set.

        Image files go last and, with OCR on, PDFs before them (each in their order), so a
        run makes its text searchable before it spends seconds a page on OCR.
        """
        pending = deque(sorted(files, key=lambda info: _turn(info, self.ocr.enabled)))
        self.tally = OcrTally(sum(map(_may_need_ocr, pending)) if self.ocr.enabled else 0)
        with _pools_lock:  # before any worker starts: stop_fork_server now leaves the server be
            _pools_in_use.add(id(self))
        with self._lock:
            while len(self._workers) < min(self.size, max(1, len(pending))):
                self._workers.append(self._start_worker())
        workers = self._workers
        while pending or any(w.task for w in workers):
            if cancel is not None and cancel.is_set():
                self._reset_busy()
                return
            for worker in workers:
                if worker.task is None and pending and not self.paused:
                    worker.task = pending.popleft()
                    worker.started = time.monotonic()
                    worker.conn.send(worker.task.path)
                    if self.ocr.enabled and _may_need_ocr(worker.task):
                        self.tally.handed_out()
            busy = [w for w in workers if w.task is not None]
            if not busy:  # paused between files
                time.sleep(0.1)
                continue
            deadline = min(w.started for w in busy) + self.timeout
            wait = max(0.0, min(deadline - time.monotonic(), 0.5))
            ready = multiprocessing.connection.wait([w.conn for w in busy], timeout=wait)
            for worker in busy:
                if worker.conn in ready:
                    result = self._collect(worker)
                    if result is not None:
                        yield result
                elif time.monotonic() - worker.started > self.timeout:
                    yield self._give_up(
                        worker, "timeout", f"extraction took longer than {self.timeout:g} s"
                    )

    def _collect(self, worker: _Worker) -> ExtractResult | None:
        """The worker's outcome, or None after heartbeats (its time limit starts again); all
        waiting messages are read (a worker paused for long has sent many heartbeats)."""
        info = worker.task
        assert info is not None
        while True:
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                return self._give_up(worker, "corrupt", "the extractor crashed on this file")
            if isinstance(message, PageStart):
                self.tally.page(id(worker), info.path, message)
            elif message != HEARTBEAT:
                break
            worker.started = time.monotonic()
            if not worker.conn.poll(0):
                return None
        self.tally.file_ended(id(worker))
        outcome, lines = message
        _replay(lines)
        document, content_hash, reason, message, vanished = outcome
        worker.task = None
        worker.files += 1
        if worker.files >= self.recycle_after:
            self._retire(worker)
        return ExtractResult(info, document, content_hash, reason, message, vanished)

    def _give_up(self, worker: _Worker, reason: str, message: str) -> ExtractResult:
        """Kill a stuck or dead worker, replace it, and record the file's failure."""
        info = worker.task
        assert info is not None
        self.tally.file_ended(id(worker))
        log.warning("extraction of %s: %s", display(info.path), message)
        self._replace(worker)
        try:
            content_hash = hash_file(info.path)
        except OSError:
            content_hash = ""
        return ExtractResult(info, None, content_hash, reason, message)

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(5)
        self._swap_in_fresh(worker)

    def _retire(self, worker: _Worker) -> None:
        """Let an idle worker exit (it has done its share of files) and start a fresh one."""
        _ask_to_exit(worker)
        _wait_for_exit(worker)
        self._swap_in_fresh(worker)

    def _swap_in_fresh(self, worker: _Worker) -> None:
        worker.conn.close()
        fresh = self._start_worker()
        worker.process, worker.conn, worker.task = fresh.process, fresh.conn, None
        worker.files = 0

    def _reset_busy(self) -> None:
        for worker in self._workers:
            if worker.task is not None:
                self._replace(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._workers:  # all asked first, so they exit side by side
                _ask_to_exit(worker)
            for worker in self._workers:
                _wait_for_exit(worker)
                worker.conn.close()
            self._workers.clear()
        with _pools_lock:
            _pools_in_use.discard(id(self))

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fork_server_pid() -> int | None:
    """The pid of this process's fork server if it started one, else None.

    Read from ``multiprocessing.forkserver``'s module-level server (a private attribute, so
    read defensively: another Python may name it differently, and then None is answered).
    """
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    return pid if isinstance(pid, int) else None


def stop_fork_server() -> bool:
    """Stop the fork server (and the parsers it preloaded) if no pool is using it.

    Why: after a run its workers exit, but the server lives on with everything ``PRELOAD``
    imported, about 70 MB RSS (40 MB PSS) for the life of the app, and so does
    multiprocessing's resource tracker (13 MB), which the server started. The next pool
    starts both again by itself (``ForkServer.ensure_running`` relaunches a server that is not
    running, with the same preload list, and the tracker first), in about 1.4 s on this 2-core
    machine under load (docs/benchmarks/NOTES.md).

    multiprocessing has no public way to stop either. ``ForkServer._stop`` and
    ``ResourceTracker._stop`` are what CPython's own test suite calls (both exist from 3.8 to
    3.14); each closes the pipe its process waits on and reaps it. The server exits only once
    no worker holds that pipe either, so it is stopped only when no pool has workers and it
    has no child left (otherwise ``_stop`` would block until they exit). Nothing in the app
    registers resources with the tracker (the pool uses pipes, not semaphores or shared
    memory), so it has nothing to clean up when it stops. Where a method is missing, that
    process stays, as before. True when the server was stopped.
    """
    if not sys.platform.startswith("linux"):
        return False  # spawn: no server
    from multiprocessing import forkserver, resource_tracker

    import psutil

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    with _pools_lock:
        pid = fork_server_pid()
        if pid is None or not callable(stop) or _pools_in_use:
            return False
        try:
            if psutil.Process(pid).children():
                return False  # a worker still exiting: stopping would wait for it
        except psutil.NoSuchProcess:
            pass  # died already: _stop reaps it and clears the state
        try:
            stop()
            tracker = getattr(resource_tracker, "_resource_tracker", None)
            stop_tracker = getattr(tracker, "_stop", None)
            if callable(stop_tracker):
                stop_tracker()
        except OSError as exc:  # reaped elsewhere (ChildProcessError): ensure_running copes
            log.warning("could not stop the extraction fork server: %s", exc)
            return False
    log.info("stopped the idle extraction fork server (pid %d)", pid)
    return True
