"""The :class:`Store`: one model's index at one LanceDB location, the engine's way in.

It opens the tables (:mod:`.opening`), reads them, and writes batches through the journal
(:mod:`.journal`) and the shared commits (:mod:`.writes`). The package docstring tells how the
two commits of a batch stay consistent without multi-table transactions.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from desktop_app.engine.records import FileRecord, FileUpdate
from desktop_app.engine.store import opening
from desktop_app.engine.store.doctor import DoctorReport, check
from desktop_app.engine.store.errors import StoreError, reading, writing
from desktop_app.engine.store.indexes import SearchIndexes
from desktop_app.engine.store.journal import Journal
from desktop_app.engine.store.rows import chunk_table, vectors_of
from desktop_app.engine.store.schema import METRICS, RANKED_COLUMNS, SEARCH_COLUMNS, sql_in
from desktop_app.engine.store.writes import commit_chunks, commit_files, delete_rows

log = logging.getLogger(__name__)

#: Commits between compactions: each commit adds a version and usually a small fragment.
OPTIMIZE_EVERY_COMMITS = 20


class Store:
    """The index of one model at one LanceDB location (a folder or an object-store URI).

    Writes must come from one thread at a time (the pipeline's writer); reads may come from
    any thread and always see the latest commit.
    """

    #: What opening the store did about a journal left by an interrupted write: "" (none),
    #: "rolled forward" (the chunks commit had landed; the manifest commit was redone),
    #: "rolled back" (nothing had landed), "busy" (its writer, another process, is alive) or
    #: "pending" (the redo failed, e.g. the disk is still full).
    recovered: str = ""

    def __init__(self, uri: str, model_id: str, dimension: int, metric: str = "cosine") -> None:
        if metric not in METRICS:
            raise StoreError(f"unknown distance metric {metric!r}; choose one of {METRICS}")
        self.metric = metric
        self.uri = uri
        self.model_id = model_id
        self.dimension = dimension
        self.chunks, self.files, self.meta = opening.open_tables(uri, model_id, dimension)
        self._commits = 0
        #: Held by every write and by recovery, so that ``doctor`` on another thread never
        #: "recovers" the journal of a batch the writer thread is still committing.
        self._write_lock = threading.RLock()
        self._journal = Journal(uri, self.chunks, self.files)
        self.recovered = self._journal.recover()
        self._indexes = SearchIndexes(self.chunks, metric)

    @property
    def journal_path(self) -> Path | None:
        """Where the journal lives; None for an object store (no local folder to put it in)."""
        return self._journal.path

    def read_meta(self) -> dict[str, str]:
        return opening.read_meta(self.uri, self.meta)

    @classmethod
    def destroy(cls, uri: str) -> None:
        """Drop every table at ``uri`` (the rebuild path of ``doctor --repair``)."""
        opening.destroy(uri)

    # -- reading -----------------------------------------------------------------------------

    def manifest(self) -> dict[str, FileRecord]:
        with reading(self.uri):
            rows = self.files.to_arrow().to_pylist()
        return {row["path"]: FileRecord(**row) for row in rows}

    def count_chunks(self) -> int:
        with reading(self.uri):
            return int(self.chunks.count_rows())

    def rows_for_paths(self, paths: Sequence[str], columns: Sequence[str] | None = None) -> Any:
        """The chunk rows of ``paths`` as an Arrow table (used to move rows on rename)."""
        query = self.chunks.search().where(sql_in("path", paths)).limit(None)
        if columns is not None:
            query = query.select(list(columns))
        with reading(self.uri):
            return query.to_arrow()

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes (same model by design)."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            with reading(self.uri):
                table = (
                    self.chunks.search()
                    .where(sql_in("chunk_hash", part))
                    .select(["chunk_hash", "vector"])
                    .limit(None)
                    .to_arrow()
                )
            if table.num_rows == 0:
                continue
            vectors = vectors_of(table)
            for h, vector in zip(table.column("chunk_hash").to_pylist(), vectors, strict=True):
                found.setdefault(h, vector)
        return found

    def vector_search(self, vector: np.ndarray, limit: int, where: str | None = None) -> Any:
        """Nearest chunks by the store's metric (exact, or ANN with re-ranking once indexed)."""
        query = (
            self.chunks.search(vector.astype(np.float32), vector_column_name="vector")
            .distance_type(self.metric)
            .limit(limit)
        )
        query = self._indexes.tune(query, limit)
        if where:
            query = query.where(where, prefilter=True)
        with reading(self.uri):
            return query.select(RANKED_COLUMNS).to_arrow()

    def keyword_search(self, text: str, limit: int, where: str | None = None) -> Any:
        """BM25 over chunk text; rows written since the last index update are searched too."""
        from lancedb.query import MatchQuery

        match = MatchQuery(text, "text")  # type: ignore[call-arg]  # the rest have defaults
        query = self.chunks.search(match, query_type="fts").limit(limit)
        if where:
            query = query.where(where, prefilter=True)
        with reading(self.uri):
            return query.select(RANKED_COLUMNS).to_arrow()

    def sample(self, size: int) -> tuple[np.ndarray, list[str]]:
        """About ``size`` chunks drawn uniformly (vectors, texts): the index's own background.

        Chunk hashes are SHA-256 hex digests, so the rows whose hash sorts below a bound are
        a uniform sample of the text, whatever the folder or the order of indexing.
        """
        total = self.count_chunks()
        share = min(1.0, size / max(total, 1))
        query = self.chunks.search().select(["vector", "text"]).limit(size)
        if share < 1.0:
            query = query.where(f"chunk_hash < '{int(share * 0xFFFF) + 1:04x}'")
        with reading(self.uri):
            table = query.to_arrow()
        return vectors_of(table), table.column("text").to_pylist()

    def filtered(self, where: str | None, limit: int) -> list[dict[str, Any]]:
        """Chunks matching ``where`` alone (a query of only filters), newest files first."""
        query = self.chunks.search().select(SEARCH_COLUMNS).limit(None)
        if where:
            query = query.where(where)
        with reading(self.uri):
            rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
        rows.sort(key=lambda r: (-r["mtime"], r["path"], r["chunk_index"]))
        return rows[: max(limit, 1) * 20]

    def file_details(self, paths: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``path -> (size, title)`` from the manifest, for result display."""
        if not paths:
            return {}
        query = self.files.search().where(sql_in("path", paths)).select(["path", "size", "title"])
        with reading(self.uri):
            rows = query.limit(None).to_arrow().to_pylist()
        return {row["path"]: (row["size"], row["title"]) for row in rows}

    # -- the vector index --------------------------------------------------------------------

    @property
    def has_vector_index(self) -> bool:
        return self._indexes.has_vector_index

    def needs_vector_index(self) -> bool:
        """Whether the table has grown past the exact-search threshold without an ANN index."""
        return self._indexes.needs_vector_index(self.count_chunks())

    def build_vector_index(self) -> None:
        """Build the ANN index (about 25 s per 100K chunks here): call it from a background
        thread.

        Searches keep working meanwhile (exact), and rows added later are still found:
        LanceDB also searches the fragments the index does not cover yet, and
        :meth:`optimize` folds them in.
        """
        self._indexes.build_vector_index(self.count_chunks())

    # -- writing (one thread) ----------------------------------------------------------------

    def apply(self, updates: Sequence[FileUpdate], deleted: Sequence[str] = ()) -> None:
        """Write a batch: replace the chunks of every updated file, then its manifest row.

        ``deleted`` paths lose their chunks and manifest rows. Two commits in all, journalled
        first so that a crash or a full disk between them is finished on the next open.
        """
        if not updates and not deleted:
            return
        with self._write_lock:
            self._apply(updates, deleted)

    def _apply(self, updates: Sequence[FileUpdate], deleted: Sequence[str]) -> None:
        self._commits += 1
        touched = [u.record.path for u in updates] + list(deleted)
        new_rows = chunk_table([u for u in updates if u.chunks is not None], self.dimension)
        self._journal.begin_apply(updates, deleted)
        with writing(self.uri, f"write {len(touched)} files"):
            commit_chunks(self.chunks, new_rows, touched)
            commit_files(self.files, [u.record for u in updates], deleted)
        self._journal.end()

    def _delete_where(self, conditions: Sequence[str], what: str) -> None:
        """Delete matching rows from both tables, journalled (two commits per condition)."""
        with self._write_lock:
            self._journal.begin_delete(conditions)
            with writing(self.uri, what):
                delete_rows(self.chunks, self.files, conditions)
            self._journal.end()

    def delete_under(self, folder: str) -> None:
        """Forget every file below ``folder`` (a removed root)."""
        prefix = folder.rstrip("/\\")
        like = prefix.replace("'", "''").replace("%", "\\%").replace("_", "\\_")
        conditions = [f"path LIKE '{like}{sep}%' ESCAPE '\\'" for sep in ("/", "\\")]
        self._delete_where(conditions, f"forget the files under {folder}")

    def forget(self, paths: Iterable[str]) -> None:
        """Drop chunks and manifest rows of ``paths`` so the next scan indexes them afresh."""
        paths = list(paths)
        conditions = [sql_in("path", paths[i : i + 500]) for i in range(0, len(paths), 500)]
        if conditions:
            self._delete_where(conditions, f"forget {len(paths)} files")

    def optimize(self, retain: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        """Compact small fragments, drop old versions, update indexes: bounded disk use.

        Versions younger than ``retain`` are kept so a reader in another process that opened
        one a moment ago is not pulled from under its feet. Each step is its own atomic
        LanceDB commit, so a crash in the middle leaves the data of the latest version intact.
        """
        with self._write_lock, writing(self.uri, "compact the index"):
            for table in (self.chunks, self.files):
                table.optimize(cleanup_older_than=retain)
        self._commits = 0

    def maybe_optimize(self) -> bool:
        """Optimize once enough commits have piled up since the last time."""
        if self._commits < OPTIMIZE_EVERY_COMMITS:
            return False
        self.optimize()
        return True

    def version_count(self) -> int:
        return len(self.chunks.list_versions()) + len(self.files.list_versions())

    # -- consistency -------------------------------------------------------------------------

    def doctor(self) -> DoctorReport:
        """Check the manifest against the chunks.

        Nothing is changed, except that a write left half-done by this process (a full disk
        between the two commits) is first finished from the journal, as a fresh open would:
        that completes a commit, it does not repair anything.
        """
        if self._journal.pending():
            with self._write_lock:
                self.recovered = self._journal.recover()
        with reading(self.uri):
            return check(self.manifest(), self.chunks)
