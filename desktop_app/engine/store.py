"""The index: LanceDB tables ``chunks``, ``files`` (the manifest) and ``meta``.

Consistency without multi-table transactions: every batch is written as one commit to
``chunks`` (a ``merge_insert`` that inserts the batch's new rows and, in the same commit,
deletes the old rows of every file the batch touches), *then* one commit to ``files``. A
reader therefore never sees half of a file's chunks, and a manifest row marked ``indexed``
always has its chunks. A crash between the two commits leaves new chunks under an old (or no)
manifest row; the next scan sees the file as changed and rewrites it, reusing the vectors
already stored (the chunks table doubles as the vector cache, keyed by chunk text hash).

That crash window is also closed directly: before its first commit a batch writes a small
journal (``_pending_write.json`` beside the tables: the batch's manifest rows and a digest of
each file's chunk hashes). Opening the store finds a journal left by a dead writer, checks
whether the chunks commit landed (the stored chunks match the digests) and, if it did, makes the
manifest commit again; if it did not, nothing landed and the journal is dropped. So ``doctor``
is clean right after a crash (or a disk-full error) between the two commits, not only after the
next run. Deletions (a removed folder, ``forget``) are journalled the same way.

Damage (a deleted or truncated data file, a missing table) is found on open by a cheap count
over one small column of every table, which opens every data file of the current version; it
raises :class:`StoreError` with one line naming the problem and the fix (``doctor --repair``).
A full disk raises :class:`DiskFullError` from the write that failed; what was committed stays.

``meta`` records the model id and dimension: an index is never mixed across models.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.pathnames import display

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
#: Ranked searches also return each chunk's vector: relevance compares it with the query.
RANKED_COLUMNS = [*SEARCH_COLUMNS, "vector"]
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
#: HNSW graph degree and build beam. LanceDB's defaults (20, 300) took 506 s at 1M rows here;
#: (16, 100) took 168-178 s at the same recall@10 (0.998, with the refine step above), for
#: 4-9 ms more per vector search at 1M and none at 100K (docs/benchmarks/NOTES.md).
ANN_HNSW_M = 16
ANN_EF_CONSTRUCTION = 100

#: The write journal beside the tables (local stores only): see the module docstring.
JOURNAL_NAME = "_pending_write.json"
#: A cheap filter per table that the open-time integrity check counts (every data file of the
#: current version is opened to evaluate it: a missing or truncated one fails the count). Not
#: ``IS NOT NULL``: on a non-nullable column LanceDB answers that from the manifest alone.
CHECK_FILTERS = {CHUNKS: "chunk_index >= 0", FILES: "chunk_count >= 0", META: "key >= ''"}
REPAIR_HINT = (
    "run 'desktop-search doctor --repair' to rebuild it from your files "
    "(folders and settings are kept)"
)

STATUS_INDEXED = "indexed"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"
#: The reason of an indexed file whose passages were cut at ``max_chunks_per_file``.
TRUNCATED = "truncated"


class StoreError(UserFacingError):
    """The index cannot be opened or used as it is; the message says what to do."""


class ModelMismatchError(StoreError):
    """The index was built with another model; its vectors cannot be mixed with this one's."""


class DiskFullError(StoreError):
    """A write failed for lack of space. Nothing half-written is visible: every LanceDB commit
    is atomic and an interrupted two-commit batch is finished from the journal on next open."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError, or a LanceDB error that carries the OS error's text) means
    the disk or the user's quota is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "No space left on device",
            "Disk quota exceeded",
            "not enough space on the disk",
            "os error 28)",
            "os error 112)",
            "os error 122)",
        )
    )


def is_damage(exc: BaseException) -> bool:
    """Whether a LanceDB read error means files of the index are missing or cut short (as
    opposed to, say, a bad filter expression, which is a bug to surface as is)."""
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "LanceError(IO)",
            "LanceError(Corrupt",
            "LanceError(NotFound",
            "Not found:",
            "Invalid range",
            "No such file or directory",
        )
    )


def damage_detail(exc: BaseException) -> str:
    """A short, human description of a LanceDB read error (its text carries Rust source paths
    and repeated wrappers that mean nothing to a user)."""
    text = str(exc)
    missing = re.search(r"Not found: (?:Wrapped error: Not found: )?(\S+?\.\w+)(?:,|\s|$)", text)
    if missing:
        return f"file {Path(missing.group(1)).name} is missing"
    if re.search(
        r"Invalid range \d+\.\.\d+ for object of size \d+|failed to fill whole buffer|"
        r"unexpected end of file",
        text,
        flags=re.IGNORECASE,
    ):
        return "a data file is truncated"
    first = text.splitlines()[0] if text else type(exc).__name__
    first = re.sub(r",\s*/\S+\.rs:\d+:\d+.*", "", first)  # Rust source locations
    first = re.sub(
        r"^(lance error: |LanceError\(\w+\): |Generic \w+ error: |Wrapped error: )+", "", first
    )
    return first[:160]


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
    #: What a repair did, in words for the user (empty for a plain check).
    actions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["bad_paths"] = sorted(display(p) for p in self.bad_paths)
        data["orphan_paths"] = sorted(display(p) for p in self.orphan_paths)
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

    #: What opening the store did about a journal left by an interrupted write: "" (none),
    #: "rolled forward" (the chunks commit had landed; the manifest commit was redone),
    #: "rolled back" (nothing had landed), "busy" (its writer, another process, is alive) or
    #: "pending" (the redo failed, e.g. the disk is still full).
    recovered: str = ""

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
                f"the index at {uri} is damaged (missing table {missing}); {REPAIR_HINT}"
            )
        tables = {}
        for name in (CHUNKS, FILES, META):
            try:
                tables[name] = self._db.open_table(name)
            except Exception as exc:  # a table folder without a readable version
                raise StoreError(
                    f"the index at {uri} is damaged (table {name} cannot be opened: "
                    f"{damage_detail(exc)}); {REPAIR_HINT}"
                ) from exc
        self.chunks, self.files, self.meta = tables[CHUNKS], tables[FILES], tables[META]
        self._commits = 0
        #: Held by every write and by recovery, so that ``doctor`` on another thread never
        #: "recovers" the journal of a batch the writer thread is still committing.
        self._write_lock = threading.RLock()
        self._validate_schemas()
        self._check_readable()
        self._validate_meta()
        self.recovered = self._recover()
        self._ensure_fts_index()
        self._vector_index = self._find_vector_index()
        self._check_vector_index_metric()

    # -- lifecycle ---------------------------------------------------------------------------

    def _create(self) -> None:
        with self._writing("create the index"):
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

    def _check_readable(self) -> None:
        """Open every data file of every table's current version, cheaply.

        A filtered count over one small column makes LanceDB open each fragment's file and
        check its size against the manifest (5 ms for 300K chunks here), so a deleted or
        truncated file is reported now, in one line with the fix, rather than as a Rust
        error in the middle of the first search.
        """
        for name, table in ((CHUNKS, self.chunks), (FILES, self.files), (META, self.meta)):
            try:
                table.count_rows(CHECK_FILTERS[name])
            except Exception as exc:
                if is_disk_full(exc):
                    raise self._disk_full("open the index") from exc
                raise StoreError(
                    f"the index at {self.uri} is damaged (table {name}: {damage_detail(exc)}); "
                    f"{REPAIR_HINT}"
                ) from exc

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn LanceDB's errors about missing or truncated files into a one-line
        :class:`StoreError` (damage that appeared after the store was opened)."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            if is_disk_full(exc):  # also a LanceError(IO), but nothing is damaged
                raise self._disk_full("read the index") from exc
            if not is_damage(exc):
                raise
            raise StoreError(
                f"the index at {self.uri} is damaged ({damage_detail(exc)}); {REPAIR_HINT}"
            ) from exc

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """Turn a full disk into :class:`DiskFullError`, whose message says what to do."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            raise self._disk_full(what) from exc

    def _disk_full(self, what: str) -> DiskFullError:
        return DiskFullError(
            f"disk full: could not {what} in the index at {self.uri} "
            f"({_free_space(self.uri)}); free some space and run the indexing again: "
            "what was indexed before is kept"
        )

    # -- the write journal -------------------------------------------------------------------

    @property
    def journal_path(self) -> Path | None:
        """Where the journal lives; None for an object store (no local folder to put it in)."""
        return None if "://" in self.uri else Path(self.uri) / JOURNAL_NAME

    def _begin(self, entry: dict[str, Any]) -> None:
        """Record a two-commit write before its first commit (temp file, fsync, rename)."""
        path = self.journal_path
        if path is None:
            return
        outcome = self._recover() if path.exists() else ""  # an earlier write failed half-way
        if outcome == "busy":
            raise StoreError(
                f"another process is writing to the index at {self.uri}; let it finish first"
            )
        if outcome == "pending":
            raise DiskFullError(
                f"disk full: an interrupted write in the index at {self.uri} could not be "
                "finished; free some space and run the indexing again"
            )
        entry = {**entry, "pid": os.getpid(), "started": _process_started(os.getpid())}
        tmp = path.with_name(path.name + ".tmp")
        with self._writing("record the next write"):
            try:
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump(entry, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                tmp.replace(path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

    def _end(self) -> None:
        path = self.journal_path
        if path is not None:
            path.unlink(missing_ok=True)

    def _recover(self) -> str:
        """Finish or drop a write a dead writer left between its two commits (see module doc).

        Returns what was done: "", "rolled forward", "rolled back", "busy" or "pending".
        """
        path = self.journal_path
        if path is None or not path.exists():
            return ""
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("unreadable write journal %s: ignored (doctor finds any leftover)", path)
            path.unlink(missing_ok=True)
            return "rolled back"
        pid = int(entry.get("pid", 0))
        if pid != os.getpid() and _process_started(pid) == entry.get("started"):
            return "busy"  # its writer is alive (another process): not ours to touch
        try:
            with self._writing("finish an interrupted write"), self._reading():
                outcome = self._redo(entry)
        except DiskFullError as exc:  # debug only: the log file is likely on the full disk
            log.debug("%s", exc)
            return "pending"
        path.unlink(missing_ok=True)
        log.warning("found a write interrupted between its two commits: %s", outcome)
        return outcome

    def _redo(self, entry: dict[str, Any]) -> str:
        if entry.get("op") == "delete":
            for condition in entry["conditions"]:
                self.chunks.delete(condition)
                self.files.delete(condition)
            return "rolled forward"
        records = [FileRecord(**r) for r in entry["records"]]
        deleted: list[str] = entry["deleted"]
        digests: dict[str, str] = entry["digests"]
        if self._chunk_digests(list(digests)) != digests:
            return "rolled back"  # the chunks commit never landed: nothing did
        self._commit_files(records, deleted)
        return "rolled forward"

    def _chunk_digests(self, paths: Sequence[str]) -> dict[str, str]:
        """Per path, the digest of its stored chunk hashes in chunk order (empty if none)."""
        found: dict[str, list[tuple[int, str]]] = {p: [] for p in paths}
        for start in range(0, len(paths), 500):
            part = paths[start : start + 500]
            rows = (
                self.chunks.search()
                .where(sql_in("path", part))
                .select(["path", "chunk_index", "chunk_hash"])
                .limit(None)
                .to_arrow()
                .to_pylist()
            )
            for row in rows:
                found[row["path"]].append((row["chunk_index"], row["chunk_hash"]))
        return {p: _digest(h for _, h in sorted(pairs)) for p, pairs in found.items()}

    def _validate_schemas(self) -> None:
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

    def _validate_meta(self) -> None:
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
                "Switch back to that model, or rebuild the index for this one with "
                "'desktop-search doctor --repair' (folders and settings are kept)"
            )

    def read_meta(self) -> dict[str, str]:
        with self._reading():
            rows = self.meta.to_arrow().to_pylist()
        return {row["key"]: row["value"] for row in rows}

    @classmethod
    def destroy(cls, uri: str) -> None:
        """Drop every table at ``uri`` (the rebuild path of ``doctor --repair``).

        A damaged table may not drop cleanly through LanceDB; a local one is then removed as a
        folder, so a repair never stops at the damage it is meant to fix.
        """
        db = _lancedb().connect(uri)
        for name in db.list_tables().tables:
            try:
                db.drop_table(name)
            except Exception:
                if "://" in uri:
                    raise
                shutil.rmtree(Path(uri) / f"{name}.lance", ignore_errors=True)
        if "://" not in uri:
            for name in (CHUNKS, FILES, META):  # folders LanceDB no longer lists as tables
                shutil.rmtree(Path(uri) / f"{name}.lance", ignore_errors=True)
            (Path(uri) / JOURNAL_NAME).unlink(missing_ok=True)

    # -- reading -----------------------------------------------------------------------------

    def manifest(self) -> dict[str, FileRecord]:
        with self._reading():
            rows = self.files.to_arrow().to_pylist()
        return {row["path"]: FileRecord(**row) for row in rows}

    def count_chunks(self) -> int:
        with self._reading():
            return int(self.chunks.count_rows())

    def rows_for_paths(self, paths: Sequence[str], columns: Sequence[str] | None = None) -> Any:
        """The chunk rows of ``paths`` as an Arrow table (used to move rows on rename)."""
        query = self.chunks.search().where(sql_in("path", paths)).limit(None)
        if columns is not None:
            query = query.select(list(columns))
        with self._reading():
            return query.to_arrow()

    def cached_vectors(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors already stored for chunk texts with these hashes (same model by design)."""
        wanted = sorted(set(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            with self._reading():
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
        with self._reading():
            return query.select(RANKED_COLUMNS).to_arrow()

    def keyword_search(self, text: str, limit: int, where: str | None = None) -> Any:
        """BM25 over chunk text; rows written since the last index update are searched too."""
        from lancedb.query import MatchQuery

        match = MatchQuery(text, "text")  # type: ignore[call-arg]  # the rest have defaults
        query = self.chunks.search(match, query_type="fts").limit(limit)
        if where:
            query = query.where(where, prefilter=True)
        with self._reading():
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
        with self._reading():
            table = query.to_arrow()
        return vectors_of(table), table.column("text").to_pylist()

    def filtered(self, where: str | None, limit: int) -> list[dict[str, Any]]:
        """Chunks matching ``where`` alone (a query of only filters), newest files first."""
        query = self.chunks.search().select(SEARCH_COLUMNS).limit(None)
        if where:
            query = query.where(where)
        with self._reading():
            rows: list[dict[str, Any]] = query.to_arrow().to_pylist()
        rows.sort(key=lambda r: (-r["mtime"], r["path"], r["chunk_index"]))
        return rows[: max(limit, 1) * 20]

    def file_details(self, paths: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``path -> (size, title)`` from the manifest, for result display."""
        if not paths:
            return {}
        query = self.files.search().where(sql_in("path", paths)).select(["path", "size", "title"])
        with self._reading():
            rows = query.limit(None).to_arrow().to_pylist()
        return {row["path"]: (row["size"], row["title"]) for row in rows}

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
        """Build the ANN index (about 25 s per 100K chunks here): call it from a background
        thread.

        IVF_HNSW_SQ: measured on this machine at 100K x 384 it reached recall@10 0.99-1.0 at
        6 ms, where IVF_PQ needed 26 ms for 0.97 (docs/BENCHMARKS.md). Searches keep working
        meanwhile (exact), and rows added later are still found: LanceDB also searches the
        fragments the index does not cover yet, and :meth:`optimize` folds them in.
        """
        from lancedb.index import IvfHnswSq

        rows = self.count_chunks()
        partitions = max(1, rows // ANN_ROWS_PER_PARTITION)
        config = IvfHnswSq(
            distance_type=cast(Any, self.metric),
            num_partitions=partitions,
            m=ANN_HNSW_M,
            ef_construction=ANN_EF_CONSTRUCTION,
        )
        self.chunks.create_index("vector", config=config, replace=True)
        self._vector_index = self._find_vector_index()
        log.info("built the vector index over %d chunks (%d partitions)", rows, partitions)

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
        new_rows = self._chunk_table([u for u in updates if u.chunks is not None])
        records = [u.record for u in updates]
        digests = {path: _digest(()) for path in deleted}
        for u in updates:
            digests[u.record.path] = _digest(u.chunks.hashes if u.chunks is not None else ())
        self._begin(
            {
                "op": "apply",
                "records": [asdict(r) for r in records],
                "deleted": list(deleted),
                "digests": digests,
            }
        )
        with self._writing(f"write {len(touched)} files"):
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
            self._commit_files(records, deleted)
        self._end()

    def _commit_files(self, records: Sequence[FileRecord], deleted: Sequence[str]) -> None:
        """The manifest half of a batch (also redone from the journal: it is idempotent)."""
        if records:
            merge = (
                self.files.merge_insert("path")
                .when_matched_update_all()
                .when_not_matched_insert_all()
            )
            if deleted:
                merge = merge.when_not_matched_by_source_delete(sql_in("path", deleted))
            merge.execute(self._file_table(records))
        elif deleted:
            self.files.delete(sql_in("path", deleted))

    def _delete_where(self, conditions: Sequence[str], what: str) -> None:
        """Delete matching rows from both tables, journalled (two commits per condition)."""
        with self._write_lock:
            self._begin({"op": "delete", "conditions": list(conditions)})
            with self._writing(what):
                for condition in conditions:
                    self.chunks.delete(condition)
                    self.files.delete(condition)
            self._end()

    def delete_under(self, folder: str) -> None:
        """Forget every file below ``folder`` (a removed root)."""
        prefix = folder.rstrip("/\\")
        like = prefix.replace("'", "''").replace("%", "\\%").replace("_", "\\_")
        conditions = [f"path LIKE '{like}{sep}%' ESCAPE '\\'" for sep in ("/", "\\")]
        self._delete_where(conditions, f"forget the files under {folder}")

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
        one a moment ago is not pulled from under its feet. Each step is its own atomic
        LanceDB commit, so a crash in the middle leaves the data of the latest version intact.
        """
        with self._write_lock, self._writing("compact the index"):
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
        path = self.journal_path
        if path is not None and path.exists():
            with self._write_lock:
                self.recovered = self._recover()
        with self._reading():
            return self._doctor()

    def _doctor(self) -> DoctorReport:
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
                report.problems.append(
                    f"{display(path)}: manifest says {expected} chunks, index has {have}"
                )
                report.bad_paths.add(path)
        for path in counts.keys() - manifest.keys():
            report.problems.append(f"{display(path)}: {counts[path]} chunks but no manifest row")
            report.orphan_paths.add(path)
        if duplicates:
            report.problems.append(f"{duplicates} duplicate chunk ids")
        if bad_vectors:
            report.problems.append(f"{bad_vectors} vectors are not finite")
        return report

    def forget(self, paths: Iterable[str]) -> None:
        """Drop chunks and manifest rows of ``paths`` so the next scan indexes them afresh."""
        paths = list(paths)
        conditions = [sql_in("path", paths[i : i + 500]) for i in range(0, len(paths), 500)]
        if conditions:
            self._delete_where(conditions, f"forget {len(paths)} files")


def _digest(hashes: Iterable[str]) -> str:
    """One hash over a file's chunk hashes in order: what the journal compares on recovery."""
    return hashlib.sha256("\n".join(hashes).encode("ascii")).hexdigest()


def _process_started(pid: int) -> float | None:
    """The start time of process ``pid`` (None if there is none): with the pid, it tells a
    live writer from a dead one whose pid was reused."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, ValueError):
        return None


def _free_space(uri: str) -> str:
    """``"N MB free"`` for the disk holding a local index (for the disk-full message)."""
    if "://" in uri:
        return "object store"
    try:
        free = shutil.disk_usage(uri).free
    except OSError:
        return "free space unknown"
    return f"{free / 1e6:.1f} MB free"


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
