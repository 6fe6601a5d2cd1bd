"""The engine as one object: settings, model, index, indexing runs, search, watching.

The CLI, the GUI bridge, the benchmarks and the tests all drive this class, so they exercise the
same code. It owns two embedding contexts over one memory-mapped model: one for indexing, one
for queries, so a search never queues behind an indexing batch. Everything heavy is created on
first use, freed after ``idle_unload_s`` quiet seconds (engine/idle.py), and by :meth:`close`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from desktop_app import paths
from desktop_app.engine.embedder import Embedder, query_threads
from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.eta import Throughput, load_prior, save_prior
from desktop_app.engine.extract import OcrOptions
from desktop_app.engine.extract.base import OCR_INCOMPLETE, OCR_OFF_MESSAGE
from desktop_app.engine.idle import IdleReleaser, release_free_memory, release_parts
from desktop_app.engine.memory import (
    MB,
    MemoryGovernor,
    limit_malloc_arenas,
    use_malloc_for_arrow,
)
from desktop_app.engine.models import InstalledModel, find_model
from desktop_app.engine.ocr import cache as ocr_cache
from desktop_app.engine.pathnames import display, key
from desktop_app.engine.pipeline import IndexSummary, Pipeline, PipelineConfig, ProgressCallback
from desktop_app.engine.query import Filters
from desktop_app.engine.scanner import (
    Exclusions,
    FileInfo,
    Plan,
    ScanOptions,
    plan_changes,
    plan_folders,
)
from desktop_app.engine.search import Searcher, SearchResponse
from desktop_app.engine.status import EngineStatus, compute_status
from desktop_app.engine.store import (
    DiskFullError,
    DoctorReport,
    ModelMismatchError,
    Store,
    StoreError,
)
from desktop_app.settings import Settings

log = logging.getLogger(__name__)

#: In the cache folder: the pace (files per second) the last indexing run reached.
PACE_FILE = "indexing-pace.json"
#: How long OCR'd text of bytes no longer indexed is kept (a folder removed and added back).
OCR_CACHE_GRACE_S = 30 * 24 * 3600
#: Pruning reads the whole manifest and lists the cache: at most this often, not after every
#: file the watcher sees deleted (a month's grace makes a day's delay irrelevant).
OCR_CACHE_PRUNE_EVERY_S = 24 * 3600


class EngineError(UserFacingError):
    """A request the engine cannot carry out (bad folder, ...); the message says why."""


class Engine:
    """Facade over the engine's parts. Thread-safe for one indexing run plus searches."""

    def __init__(
        self, settings: Settings | None = None, model: InstalledModel | None = None
    ) -> None:
        limit_malloc_arenas()  # before the store's and the model's threads allocate
        use_malloc_for_arrow()
        self.settings = settings or Settings.load()
        self._model = model
        self._store: Store | None = None
        self._index_embedder: Embedder | None = None
        self._query_embedder: Embedder | None = None
        self._pipeline: Pipeline | None = None
        self._lock = threading.RLock()
        self._index_lock = threading.Lock()
        self._ann_thread: threading.Thread | None = None
        #: Files of the run in progress, for per-folder "pending" counts.
        self._in_flight: dict[str, FileInfo] = {}
        self._ocr_cache_pruned_at: float | None = None  # time.monotonic() of the last prune
        #: Calls release_idle after ``idle_unload_s`` quiet seconds (engine/idle.py).
        self._idle = IdleReleaser(self.release_idle, lambda: self.settings["idle_unload_s"])

    # -- parts, created on first use ---------------------------------------------------------

    @property
    def model(self) -> InstalledModel:
        if self._model is None:
            self._model = find_model(self.settings["model_id"] or None)
        return self._model

    @property
    def store_uri(self) -> str:
        """The index of the current model: one folder per model under the data dir (so a
        model switch builds beside the old index instead of mixing vectors), or the user's
        ``store_uri``, where the model guard refuses a mismatch."""
        return str(self.settings["store_uri"] or paths.index_dir() / self.model.id)

    @property
    def store(self) -> Store:
        with self._lock:
            if self._store is None:
                uri = self.store_uri
                if "://" not in uri:
                    paths.ensure_dir(Path(uri))
                self._store = Store(
                    uri,
                    self.model.id,
                    self.model.dimension,
                    metric=self.settings["distance_metric"],
                )
            return self._store

    def _embedder(self, which: str, threads: int) -> Embedder:
        with self._lock:
            current: Embedder | None = getattr(self, which)
            if current is None:
                current = Embedder(self.model, threads=threads)
                setattr(self, which, current)
            self._idle.touch()  # whoever asked is about to use it: not idle
            return current

    @property
    def index_embedder(self) -> Embedder:
        return self._embedder("_index_embedder", self.settings["threads"])

    @property
    def query_embedder(self) -> Embedder:
        return self._embedder("_query_embedder", query_threads(self.settings["threads"]))

    def pipeline_config(self) -> PipelineConfig:
        s = self.settings
        return PipelineConfig(
            workers=s["extract_workers"],
            timeout_s=s["extract_timeout_s"],
            max_bytes=s["max_file_size_mb"] * 1024 * 1024,
            max_chunks_per_file=s["max_chunks_per_file"],
            ocr=OcrOptions.from_settings(s, self.ocr_cache_dir()),
        )

    @staticmethod
    def ocr_cache_dir() -> Path:
        return paths.cache_dir() / "ocr"

    def governor(self) -> MemoryGovernor:
        return MemoryGovernor(
            self.settings["memory_budget_mb"] * MB, self.settings["memory_min_available_mb"] * MB
        )

    def exclusions(self) -> Exclusions:
        return Exclusions(
            self.settings["exclude_patterns"], skip_hidden=self.settings["skip_hidden"]
        )

    def scan_options(self) -> ScanOptions:
        return ScanOptions(
            self.exclusions(),
            self.settings["follow_symlinks"],
            self.pipeline_config().max_bytes,
        )

    # -- folders -----------------------------------------------------------------------------

    @property
    def folders(self) -> list[str]:
        return list(self.settings["folders"])

    def add_folders(self, folders: Iterable[str | os.PathLike[str]]) -> list[str]:
        """Add folders to the indexed set (validated, saved); returns their keys (absolute
        paths, see :mod:`pathnames`)."""
        added = []
        current = self.folders
        for folder in folders:
            path = os.path.abspath(os.fspath(folder))
            name = display(key(path))
            if not os.path.exists(path):
                raise EngineError(f"{name}: no such folder")
            if not os.path.isdir(path):
                raise EngineError(f"{name}: not a folder")
            if not os.access(path, os.R_OK | os.X_OK):
                raise EngineError(f"{name}: folder is not readable")
            if key(path) not in current:
                current.append(key(path))
            added.append(key(path))
        if current != self.folders:  # re-indexing a known folder writes nothing (a full disk)
            self.settings.set("folders", current)
            self.settings.save()
        return added

    def set_folder_paused(self, folder: str | os.PathLike[str], paused: bool) -> None:
        """Pause or resume indexing of one folder; its index stays searchable meanwhile."""
        path = key(os.path.abspath(os.fspath(folder)))
        if path not in self.folders:
            raise EngineError(f"{path}: not an indexed folder")
        current = [f for f in self.settings["paused_folders"] if f != path]
        self.settings.set("paused_folders", [*current, path] if paused else current)
        self.settings.save()

    def remove_folder(self, folder: str | os.PathLike[str]) -> None:
        """Stop indexing a folder and forget everything indexed under it."""
        path = key(os.path.abspath(os.fspath(folder)))
        current = self.folders
        if path not in current:
            raise EngineError(f"{path}: not an indexed folder")
        current.remove(path)
        self.settings.set("folders", current)
        self.settings.save()
        self.store.delete_under(path)

    # -- indexing ----------------------------------------------------------------------------

    def plan(self, roots: Iterable[str] | None = None) -> Plan:
        """Walk ``roots`` (default: every folder) and diff against the manifest."""
        given = roots if roots is not None else self.folders
        return plan_folders(
            [key(os.path.abspath(r)) for r in given],
            self.store.manifest,
            self.scan_options(),
            self.settings["paused_folders"],
        )

    def plan_paths(self, changed: Iterable[str]) -> Plan:
        """A plan for just these paths (files or folders, present or gone): the watcher's.

        ``changed`` are OS paths as the watcher reports them (or keys: a key is its own key).
        """
        return plan_changes(
            {key(os.path.abspath(p)) for p in changed},
            self.folders,
            self.store.manifest,
            self.scan_options(),
            self.settings["paused_folders"],
        )

    def run_plan(self, plan: Plan, progress: ProgressCallback | None = None) -> IndexSummary:
        """Carry out a plan; one run at a time (a second caller waits)."""
        with self._index_lock:
            self._in_flight = {info.path: info for info in plan.to_index}
            pace = paths.cache_dir() / PACE_FILE  # the previous run's, for the first ETA
            pipeline = Pipeline(
                self.store,
                self.index_embedder,
                self.pipeline_config(),
                self.governor(),
                Throughput(load_prior(pace)),
            )
            self._pipeline = pipeline
            try:
                summary = pipeline.run(plan, progress)
            finally:
                self._pipeline = None
                self._in_flight = {}
                self._idle.touch()
            save_prior(pace, pipeline.throughput)
            if summary.removed:
                self._prune_ocr_cache()
        for path, message in plan.errors:
            summary.errors.append({"path": path, "reason": "unreadable", "message": message})
        return summary

    def index(
        self, roots: Iterable[str] | None = None, progress: ProgressCallback | None = None
    ) -> IndexSummary:
        return self.run_plan(self.plan(roots), progress)

    def pause(self) -> None:
        if self._pipeline is not None:
            self._pipeline.pause()

    def resume(self) -> None:
        if self._pipeline is not None:
            self._pipeline.resume()

    def cancel(self) -> None:
        if self._pipeline is not None:
            self._pipeline.cancel()

    # -- search ------------------------------------------------------------------------------

    def search(
        self, query: str, limit: int = 10, mode: str = "hybrid", filters: Filters | None = None
    ) -> SearchResponse:
        with self._idle.busy():  # the idle release leaves the query context to a search
            return self._searcher().search(query, limit, mode, filters)

    def similar(
        self, path: str | os.PathLike[str], limit: int = 10, filters: Filters | None = None
    ) -> SearchResponse:
        """Files closest in meaning to an indexed file ("more like this"); ``path`` is an OS
        path or a key (as search results carry)."""
        with self._idle.busy():
            return self._searcher().similar(key(os.path.abspath(os.fspath(path))), limit, filters)

    def _searcher(self) -> Searcher:
        relevance = self.settings["min_relevance"]
        return Searcher(self.store, self.query_embedder, min_relevance=relevance)

    def ensure_vector_index(self, background: bool = True) -> threading.Thread | None:
        """Build the ANN index once the index outgrows exact search (see Store thresholds).

        In the background by default: searches stay exact (and correct) until it is ready.
        """
        with self._lock:
            if self._ann_thread is not None and self._ann_thread.is_alive():
                return self._ann_thread
            if not self.store.needs_vector_index():
                return None
            if background:
                # Started under the lock: close() only ever sees a started thread (joining
                # one that was created but never started raises RuntimeError).
                thread = threading.Thread(
                    target=self._build_vector_index, name="ann-index", daemon=True
                )
                thread.start()
                self._ann_thread = thread
                return thread
        self._build_vector_index()
        return None

    def _build_vector_index(self) -> None:
        try:
            self.store.build_vector_index()
        except Exception:  # never take the app down for an index that only speeds things up
            log.exception("building the vector index failed; searches stay exact")

    # -- status and health -------------------------------------------------------------------

    def status(self) -> EngineStatus:
        """What the index holds, per folder, and what failed (engine/status.py)."""
        head = EngineStatus(
            self.model.id, self.model.dimension, self.store_uri, chunks=self.store.count_chunks()
        )
        return compute_status(
            head,
            self.store.manifest(),
            self.folders,
            self.settings["paused_folders"],
            dict(self._in_flight),
        )

    def doctor(
        self, repair: bool = False, progress: ProgressCallback | None = None
    ) -> DoctorReport:
        """Check the index; with ``repair``, fix it by re-indexing what is inconsistent.

        An index that cannot be opened or read (a missing or truncated data file, a missing
        table, another schema or model) is rebuilt from the files when repairing: its vectors
        cannot be trusted, and the files are the source of truth. Settings (folders included)
        live outside the index and are never touched. A full disk is not damage: it is raised
        as is, so a repair never throws away an index that only needs space.
        """
        try:
            report = self.store.doctor()
        except DiskFullError:
            raise
        except StoreError as exc:
            if not repair:
                report = DoctorReport(problems=[str(exc)])
                return report
            log.warning("rebuilding the index: %s", exc)
            with self._lock:
                self._store = None
            Store.destroy(self.store_uri)
            self.index(progress=progress)
            report = self.store.doctor()
            report.actions.append(f"rebuilt the index from your files ({_why_rebuilt(exc)})")
            return report
        if report.ok or not repair:
            return report
        bad = report.bad_paths | report.orphan_paths
        self.store.forget(bad)
        self.index(progress=progress)
        report = self.store.doctor()
        report.actions.append(
            f"re-indexed {len(bad)} file{'s' if len(bad) != 1 else ''} whose index entries "
            "were inconsistent"
        )
        return report

    def _prune_ocr_cache(self) -> None:
        """Drop OCR'd text of bytes gone from the index, after a grace; at most daily."""
        now = time.monotonic()
        last = self._ocr_cache_pruned_at
        if last is not None and now - last < OCR_CACHE_PRUNE_EVERY_S:
            return
        self._ocr_cache_pruned_at = now
        if not self.ocr_cache_dir().is_dir():
            return  # nothing was ever OCR'd: no manifest read
        keep = {record.content_hash for record in self.store.manifest().values()}
        ocr_cache.prune(self.ocr_cache_dir(), keep, OCR_CACHE_GRACE_S)

    def reread_for_ocr(self, languages_changed: bool = False) -> list[str]:
        """Forget the files an OCR setting change may read differently, so the next run reads
        them again: pictures skipped while OCR was off, PDFs that had no text layer, and files
        with scanned pages left unread (a page limit raised). When the recognition languages
        changed, also every file OCR has read (its bytes have an OCR cache entry). The rest
        is untouched."""
        read = ocr_cache.hashes(self.ocr_cache_dir()) if languages_changed else set()
        stale = [
            path
            for path, record in self.store.manifest().items()
            if record.reason in (OCR_INCOMPLETE, "no_text")
            or (record.reason == "unsupported" and record.message == OCR_OFF_MESSAGE)
            or record.content_hash in read
        ]
        if stale:
            self.store.forget(stale)
        return stale

    def release_idle(self) -> list[str]:
        """Free the model contexts, fork server and free heap (engine/idle.py: why, when); what
        went. Not under a run (``_index_lock``), nor the query context under a search."""
        if not self._index_lock.acquire(blocking=False):
            return []  # a run: not idle (its end starts the quiet period again)
        try:
            with self._lock:
                index, self._index_embedder = self._index_embedder, None
                query = None if self._idle.in_flight else self._query_embedder
                if query is not None:
                    self._query_embedder = None
            released = release_parts(index, query)
        finally:
            self._index_lock.release()
        return release_free_memory(released)

    def close(self) -> None:
        self.cancel()
        self._idle.close()  # before _lock: a release in progress takes it
        thread = self._ann_thread
        if thread is not None and thread.is_alive():
            thread.join()  # an index build cannot be interrupted; let it land
        with self._lock:
            for which in ("_index_embedder", "_query_embedder"):
                embedder = getattr(self, which)
                if embedder is not None:
                    embedder.close()
                    setattr(self, which, None)
            self._store = None


def _why_rebuilt(exc: StoreError) -> str:
    """Why an index was rebuilt, in a few words for the repair's report (the store's message
    names the folder, the data file and the command that fixes it: all moot by then)."""
    if isinstance(exc, ModelMismatchError):
        return "it was built with another model"
    text = str(exc)
    for marker, why in (
        ("is missing", "a data file was missing"),
        ("truncated", "a data file was cut short"),
        ("missing table", "a table was missing"),
        ("schema", "it was made by another version of the app"),
    ):
        if marker in text:
            return why
    return "it could not be read"
