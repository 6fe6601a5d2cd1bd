"""The index: LanceDB tables ``chunks``, ``files`` (the manifest) and ``meta``.

Consistency without multi-table transactions: every batch is written as one commit to
``chunks`` (a ``merge_insert`` that inserts the batch's new rows and, in the same commit,
deletes the old rows of every file the batch touches), *then* one commit to ``files``. A
reader therefore never sees half of a file's chunks, and a manifest row marked ``indexed``
always has its chunks. A crash between the two commits leaves new chunks under an old (or no)
manifest row; the next scan sees the file as changed and rewrites it, reusing the vectors
already stored (the chunks table doubles as the vector cache, keyed by chunk text hash).

``meta`` records the model id and dimension: an index is never mixed across models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
#: Bump when extraction or chunking changes what a file's chunks are: forces a re-index.
PIPELINE_VERSION = "1"
CHUNKS, FILES, META = "chunks", "files", "meta"
#: Commits between compactions: each commit adds a version and usually a small fragment.
OPTIMIZE_EVERY_COMMITS = 20
METRICS = ("cosine", "dot", "l2")
SEARCH_COLUMNS = [
    "id",
    "path",
    "chunk_index",
    "text",
    "page",
    "section",
    "char_start",
    "char_end",
    "mtime",
    "file_type",
]
#: Below this many chunks the vector search is exact: a flat scan costs about 2.3 us per row
#: here (233 ms at 100K), so 10K rows keep it near 25 ms. See docs/BENCHMARKS.md.
ANN_THRESHOLD_ROWS = 10_000
#: HNSW graphs per IVF partition: one partition per 50K rows keeps each graph quick to build.
ANN_ROWS_PER_PARTITION = 50_000
#: Search parameters: partitions probed, HNSW beam width, and exact re-ranking of
#: refine x limit candidates (recall@10 >= 0.99 at 100K and 1M in our measurements).
ANN_NPROBES = 12  # at 1M rows (20 partitions): 4 -> recall 0.88, 8 -> 0.98, 12 -> 1.00
ANN_EF = 100
ANN_REFINE_FACTOR = 5

STATUS_INDEXED = "indexed"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"


class StoreError(Exception):
    """The index cannot be opened or used as it is; the message says what to do."""


class ModelMismatchError(StoreError):
    """The index was built with another model; its vectors cannot be mixed with this one's."""


@dataclass
class FileRecord:
    """One manifest row: what we know about one file on disk."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    reason: str = ""
    message: str = ""
    chunk_count: int = 0
    indexed_at: float = 0.0
    model_id: str = ""
    title: str = ""
    file_type: str = ""


@dataclass
class ChunkData:
    """The chunks of one file with their vectors, ready to write."""

    texts: list[str]
    hashes: list[str]
    vectors: np.ndarray
    char_starts: list[int]
    char_ends: list[int]
    pages: list[int | None]
    sections: list[str | None]


@dataclass
class FileUpdate:
    """A file's new state: its manifest row and its chunks (none for a failed file), which
    replace whatever was stored for the path."""

    record: FileRecord
    chunks: ChunkData | None = None


@dataclass
class DoctorReport:
    files: int = 0
    chunks: int = 0
    problems: list[str] = field(default_factory=list)
    #: Paths whose rows are inconsistent and must be re-indexed.
    bad_paths: set[str] = field(default_factory=set)
    orphan_paths: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["bad_paths"] = sorted(self.bad_paths)
        data["orphan_paths"] = sorted(self.orphan_paths)
        return data


def _lancedb() -> Any:
    """Import lancedb with its Rust logging limited to errors (it warns on every new table)."""
    os.environ.setdefault("LANCEDB_LOG", "error")
    import lancedb

    return lancedb


def chunk_id(path: str, index: int) -> str:
    return f"{hashlib.sha1(path.encode('utf-8')).hexdigest()[:20]}-{index:06d}"  # noqa: S324


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"


def _schemas(dimension: int) -> dict[str, Any]:
    import pyarrow as pa

    return {
        CHUNKS: pa.schema(
            [
                pa.field("id", pa.string(), nullable=False),
                pa.field("path", pa.string(), nullable=False),
                pa.field("chunk_index", pa.int32(), nullable=False),
                pa.field("text", pa.string(), nullable=False),
                pa.field("vector", pa.list_(pa.float32(), dimension), nullable=False),
                pa.field("chunk_hash", pa.string(), nullable=False),
                pa.field("page", pa.int32()),
                pa.field("section", pa.string()),
                pa.field("char_start", pa.int32(), nullable=False),
                pa.field("char_end", pa.int32(), nullable=False),
                pa.field("mtime", pa.float64(), nullable=False),
                pa.field("file_type", pa.string(), nullable=False),
            ]
        ),
        FILES: pa.schema(
            [
                pa.field("path", pa.string(), nullable=False),
                pa.field("size", pa.int64(), nullable=False),
                pa.field("mtime_ns", pa.int64(), nullable=False),
                pa.field("content_hash", pa.string(), nullable=False),
                pa.field("status", pa.string(), nullable=False),
                pa.field("reason", pa.string(), nullable=False),
                pa.field("message", pa.string(), nullable=False),
                pa.field("chunk_count", pa.int32(), nullable=False),
                pa.field("indexed_at", pa.float64(), nullable=False),
                pa.field("model_id", pa.string(), nullable=False),
                pa.field("title", pa.string(), nullable=False),
                pa.field("file_type", pa.string(), nullable=False),
            ]
        ),
        META: pa.schema(
            [
                pa.field("key", pa.string(), nullable=False),
                pa.field("value", pa.string(), nullable=False),
            ]
        ),
    }


class Store:
    """The index of one model at one LanceDB location (a folder or an object-store URI).

    Writes must come from one thread at a time (the pipeline's writer); reads may come from
    any thread and always see the latest commit.
    """

    def __init__(self, uri: str, model_id: str, dimension: int, metric: str = "cosine") -> None:
        lancedb = _lancedb()
        if metric not in METRICS:
            raise StoreError(f"unknown distance metric {metric!r}; choose one of {METRICS}")
        self.metric = metric
        self.uri = uri
        self.model_id = model_id
        self.dimension = dimension
        self._schemas = _schemas(dimension)
        try:
            self._db = lancedb.connect(uri, read_consistency_interval=dt.timedelta(0))
            existing = set(self._db.list_tables().tables)
        except Exception as exc:  # lancedb raises assorted errors for bad URIs or storage
            raise StoreError(f"cannot open the index at {uri}: {exc}") from exc
        wanted = {CHUNKS, FILES, META}
        if not existing & wanted:
            self._create()
        elif wanted - existing:
            missing = ", ".join(sorted(wanted - existing))
            raise StoreError(
                f"the index at {uri} is damaged (missing table {missing}); "
                "run 'desktop-search doctor --repair' to rebuild it"
            )
        self.chunks = self._db.open_table(CHUNKS)
        self.files = self._db.open_table(FILES)
        self.meta = self._db.open_table(META)
        self._commits = 0
        self._validate()
        self._ensure_fts_index()
        self._vector_index = self._find_vector_index()
        self._check_vector_index_metric()

    # -- lifecycle ---------------------------------------------------------------------------

    def _create(self) -> None:
        for name in (CHUNKS, FILES, META):
            self._db.create_table(name, schema=self._schemas[name], mode="overwrite")
        meta = self._db.open_table(META)
        meta.add(
            [
                {"key": "schema_version", "value": SCHEMA_VERSION},
                {"key": "pipeline_version", "value": PIPELINE_VERSION},
                {"key": "model_id", "value": self.model_id},
                {"key": "dimension", "value": str(self.dimension)},
            ]
        )
        log.info("created index at %s for model %s", self.uri, self.model_id)

    def _validate(self) -> None:
        for name, table in ((CHUNKS, self.chunks), (FILES, self.files), (META, self.meta)):
            expected = self._schemas[name]
            actual = table.schema
            if [(f.name, f.type) for f in actual] != [(f.name, f.type) for f in expected]:
                if name == CHUNKS and actual.names == expected.names:
                    continue  # same columns, other vector size: the model check below explains
                raise StoreError(
                    f"the index at {self.uri} has an unexpected {name} schema (made by another "
                    "version?); run 'desktop-search doctor --repair' to rebuild it"
                )
        meta = self.read_meta()
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise StoreError(
                f"the index at {self.uri} has schema version {meta.get('schema_version')!r}, "
                f"this app needs {SCHEMA_VERSION}; run 'desktop-search doctor --repair'"
            )
        if meta.get("model_id") != self.model_id or meta.get("dimension") != str(self.dimension):
            raise ModelMismatchError(
                f"the index at {self.uri} was built with model {meta.get('model_id')!r} "
                f"(dimension {meta.get('dimension')}), not {self.model_id!r} "
                f"(dimension {self.dimension}); vectors of different models cannot be mixed. "
                "Switch back to that model, or rebuild the index with 'desktop-search doctor "
                "--repair --rebuild'"
            )

    def read_meta(self) -> dict[str, str]:
        rows = self.meta.to_arrow().to_pylist()
        return {row["key"]: row["value"] for row in rows}

    @classmethod
    def destroy(cls, uri: str) -> None:
        """Drop every table at ``uri`` (the rebuild path of ``doctor --repair``)."""
        db = _lancedb().connect(uri)
        for name in db.list_tables().tables:
            db.drop_table(name)

    # -- reading -----------------------------------------------------------------------------

    def manifest(self) -> dict[str, FileRecord]:
        rows = self.files.to_arrow().to_pylist()
        return {row["path"]: FileRecord(**row) for row in rows}

    def count_chunks(self) -> int:
        return int(self.chunks.count_rows())

    def rows_for_paths(self, paths: Sequence[str], columns: Sequence[str] | None = None) -> Any:
        """The chunk rows of ``paths`` as an Arrow table (used to move rows on rename)."""
        query = self.chunks.search().where(sql_in("path", paths)).limit(None)
        if columns is not None:
            query = query.select(list(columns))
        return query.to_arrow()

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes (same model by design)."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
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
        if self._vector_index is not None:
            # HNSW's beam must be at least as wide as the candidates it returns for re-ranking.
            ef = max(ANN_EF, limit * ANN_REFINE_FACTOR)
            query = query.nprobes(ANN_NPROBES).ef(ef).refine_factor(ANN_REFINE_FACTOR)
        if where:
            query = query.where(where, prefilter=True)
        return query.select(SEARCH_COLUMNS).to_arrow()

    def keyword_search(self, text: str, limit: int, where: str | None = None) -> Any:
        """BM25 over chunk text; rows written since the last index update are searched too."""
        from lancedb.query import MatchQuery

        match = MatchQuery(text, "text")  # type: ignore[call-arg]  # the rest have defaults
        query = self.chunks.search(match, query_type="fts").limit(limit)
        if where:
            query = query.where(where, prefilter=True)
        return query.select(SEARCH_COLUMNS).to_arrow()

    def filtered(self, where: str | None, limit: int) -> list[dict[str, Any]]:
        """Chunks matching ``where`` alone (a query of only filters), newest files first."""
        query = self.chunks.search().select(SEARCH_COLUMNS).limit(None)
        if where:
            query = query.where(where)
        rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
        rows.sort(key=lambda r: (-r["mtime"], r["path"], r["chunk_index"]))
        return rows[: max(limit, 1) * 20]

    def file_details(self, paths: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``path -> (size, title)`` from the manifest, for result display."""
        if not paths:
            return {}
        query = self.files.search().where(sql_in("path", paths)).select(["path", "size", "title"])
        return {
            row["path"]: (row["size"], row["title"])
            for row in query.limit(None).to_arrow().to_pylist()
        }

    # -- indexes -----------------------------------------------------------------------------

    def _ensure_fts_index(self) -> None:
        """The BM25 index on chunk text; created once, updated by :meth:`optimize`."""
        if any(index.index_type == "FTS" for index in self.chunks.list_indices()):
            return
        from lancedb.index import FTS

        self.chunks.create_index("text", config=FTS(with_position=False), replace=True)

    def _find_vector_index(self) -> Any:
        for index in self.chunks.list_indices():
            if index.columns == ["vector"]:
                return index
        return None

    def _check_vector_index_metric(self) -> None:
        """An ANN index built for another metric would rank wrongly: drop it (it is rebuilt)."""
        if self._vector_index is None:
            return
        built_with = self.chunks.index_stats(self._vector_index.name).distance_type
        if built_with and built_with != self.metric:
            log.warning(
                "vector index built for %s, searching with %s: dropping it", built_with, self.metric
            )
            self.chunks.drop_index(self._vector_index.name)
            self._vector_index = None

    @property
    def has_vector_index(self) -> bool:
        return self._vector_index is not None

    def needs_vector_index(self) -> bool:
        """Whether the table has grown past the exact-search threshold without an ANN index."""
        return self._vector_index is None and self.count_chunks() >= ANN_THRESHOLD_ROWS

    def build_vector_index(self) -> None:
        """Build the ANN index (about 35 s per 100K chunks here): call it from a background
        thread.

        IVF_HNSW_SQ: measured on this machine at 100K x 384 it reached recall@10 0.99-1.0 at
        6 ms, where IVF_PQ needed 26 ms for 0.97 (docs/BENCHMARKS.md). Searches keep working
        meanwhile (exact), and rows added later are still found: LanceDB also searches the
        fragments the index does not cover yet, and :meth:`optimize` folds them in.
        """
        from lancedb.index import IvfHnswSq

        rows = self.count_chunks()
        partitions = max(1, rows // ANN_ROWS_PER_PARTITION)
        config = IvfHnswSq(distance_type=cast(Any, self.metric), num_partitions=partitions)
        self.chunks.create_index("vector", config=config, replace=True)
        self._vector_index = self._find_vector_index()
        log.info("built the vector index over %d chunks (%d partitions)", rows, partitions)

    # -- writing (one thread) ----------------------------------------------------------------

    def apply(self, updates: Sequence[FileUpdate], deleted: Sequence[str] = ()) -> None:
        """Write a batch: replace the chunks of every updated file, then its manifest row.

        ``deleted`` paths lose their chunks and manifest rows. Two commits in all.
        """
        if not updates and not deleted:
            return
        self._commits += 1
        touched = [u.record.path for u in updates] + list(deleted)
        new_rows = self._chunk_table([u for u in updates if u.chunks is not None])
        if new_rows.num_rows:
            (
                self.chunks.merge_insert("id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(sql_in("path", touched))
                .execute(new_rows)
            )
        else:
            self.chunks.delete(sql_in("path", touched))
        if updates:
            records = self._file_table([u.record for u in updates])
            merge = (
                self.files.merge_insert("path")
                .when_matched_update_all()
                .when_not_matched_insert_all()
            )
            if deleted:
                merge = merge.when_not_matched_by_source_delete(sql_in("path", deleted))
            merge.execute(records)
        elif deleted:
            self.files.delete(sql_in("path", deleted))

    def delete_under(self, folder: str) -> None:
        """Forget every file below ``folder`` (a removed root)."""
        prefix = folder.rstrip("/\\")
        like = prefix.replace("'", "''").replace("%", "\\%").replace("_", "\\_")
        for sep in ("/", "\\"):
            condition = f"path LIKE '{like}{sep}%' ESCAPE '\\'"
            self.chunks.delete(condition)
            self.files.delete(condition)

    def _chunk_table(self, updates: Sequence[FileUpdate]) -> Any:
        import pyarrow as pa

        schema = self._schemas[CHUNKS]
        columns: dict[str, list[Any]] = {name: [] for name in schema.names if name != "vector"}
        vectors: list[np.ndarray] = []
        for update in updates:
            data = update.chunks
            assert data is not None
            record = update.record
            n = len(data.texts)
            columns["id"].extend(chunk_id(record.path, i) for i in range(n))
            columns["path"].extend([record.path] * n)
            columns["chunk_index"].extend(range(n))
            columns["text"].extend(data.texts)
            columns["chunk_hash"].extend(data.hashes)
            columns["page"].extend(data.pages)
            columns["section"].extend(data.sections)
            columns["char_start"].extend(data.char_starts)
            columns["char_end"].extend(data.char_ends)
            columns["mtime"].extend([record.mtime_ns / 1e9] * n)
            columns["file_type"].extend([record.file_type] * n)
            vectors.append(np.asarray(data.vectors, dtype=np.float32).reshape(n, self.dimension))
        flat = np.concatenate(vectors) if vectors else np.zeros((0, self.dimension), np.float32)
        arrays = {
            name: pa.array(values, type=schema.field(name).type) for name, values in columns.items()
        }
        arrays["vector"] = pa.FixedSizeListArray.from_arrays(
            pa.array(flat.ravel(), type=pa.float32()), self.dimension
        )
        return pa.table([arrays[name] for name in schema.names], schema=schema)

    def _file_table(self, records: Sequence[FileRecord]) -> Any:
        import pyarrow as pa

        schema = self._schemas[FILES]
        rows = [asdict(r) for r in records]
        return pa.Table.from_pylist(rows, schema=schema)

    def optimize(self, retain: dt.timedelta = dt.timedelta(minutes=1)) -> None:
        """Compact small fragments, drop old versions, update indexes: bounded disk use.

        Versions younger than ``retain`` are kept so a reader in another process that opened
        one a moment ago is not pulled from under its feet.
        """
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
        """Check the manifest against the chunks; nothing is changed."""
        report = DoctorReport()
        manifest = self.manifest()
        report.files = len(manifest)
        counts: Counter[str] = Counter()
        seen_ids: set[str] = set()
        duplicates = 0
        bad_vectors = 0
        query = self.chunks.search().select(["id", "path", "vector"]).limit(None)
        for batch in query.to_batches():
            batch_paths = batch.column("path").to_pylist()
            counts.update(batch_paths)
            for chunk, path in zip(batch.column("id").to_pylist(), batch_paths, strict=True):
                if chunk in seen_ids:
                    duplicates += 1
                    report.bad_paths.add(path)
                seen_ids.add(chunk)
            vectors = vectors_of(batch)
            finite = np.isfinite(vectors).all(axis=1)
            if not finite.all():
                bad_vectors += int((~finite).sum())
                report.bad_paths.update(
                    p for p, ok in zip(batch_paths, finite.tolist(), strict=True) if not ok
                )
        report.chunks = sum(counts.values())
        for path, record in manifest.items():
            have = counts.get(path, 0)
            expected = record.chunk_count if record.status == STATUS_INDEXED else 0
            if have != expected:
                report.problems.append(f"{path}: manifest says {expected} chunks, index has {have}")
                report.bad_paths.add(path)
        for path in counts.keys() - manifest.keys():
            report.problems.append(f"{path}: {counts[path]} chunks but no manifest row")
            report.orphan_paths.add(path)
        if duplicates:
            report.problems.append(f"{duplicates} duplicate chunk ids")
        if bad_vectors:
            report.problems.append(f"{bad_vectors} vectors are not finite")
        return report

    def forget(self, paths: Iterable[str]) -> None:
        """Drop chunks and manifest rows of ``paths`` so the next scan indexes them afresh."""
        paths = list(paths)
        for start in range(0, len(paths), 500):
            part = paths[start : start + 500]
            self.chunks.delete(sql_in("path", part))
            self.files.delete(sql_in("path", part))


def vectors_of(table: Any) -> np.ndarray:
    """The ``vector`` column of an Arrow table or batch as an ``(n, dim)`` float32 array."""
    column = table.column("vector")
    if hasattr(column, "combine_chunks"):
        column = column.combine_chunks()
    width = column.type.list_size
    return np.asarray(column.values.to_numpy(zero_copy_only=False), dtype=np.float32).reshape(
        -1, width
    )


def chunk_data_from_rows(rows: Any) -> ChunkData:
    """Stored chunk rows (sorted by chunk_index) as :class:`ChunkData`, to move them on rename."""
    return ChunkData(
        texts=rows.column("text").to_pylist(),
        hashes=rows.column("chunk_hash").to_pylist(),
        vectors=vectors_of(rows),
        char_starts=rows.column("char_start").to_pylist(),
        char_ends=rows.column("char_end").to_pylist(),
        pages=rows.column("page").to_pylist(),
        sections=rows.column("section").to_pylist(),
    )
