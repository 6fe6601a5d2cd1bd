"""The shape of the index: table names, versions, Arrow schemas, columns and SQL filters.

No numpy, no LanceDB, and pyarrow only inside the schema functions: the query parser needs
:func:`sql_string` without loading the vector stack.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

SCHEMA_VERSION = "1"
#: Bump when extraction or chunking changes what a file's chunks are: forces a re-index.
PIPELINE_VERSION = "1"
CHUNKS, FILES, META = "chunks", "files", "meta"
TABLES = (CHUNKS, FILES, META)
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
#: A cheap filter per table that the open-time integrity check counts (every data file of the
#: current version is opened to evaluate it: a missing or truncated one fails the count). Not
#: ``IS NOT NULL``: on a non-nullable column LanceDB answers that from the manifest alone.
CHECK_FILTERS = {CHUNKS: "chunk_index >= 0", FILES: "chunk_count >= 0", META: "key >= ''"}


def lancedb() -> Any:
    """Import lancedb with its Rust logging limited to errors (it warns on every new table)."""
    os.environ.setdefault("LANCEDB_LOG", "error")
    import lancedb

    return lancedb


def sql_string(value: str) -> str:
    """``value`` as a quoted SQL literal (quotes doubled), for LanceDB filters."""
    return "'" + value.replace("'", "''") + "'"


def sql_in(column: str, values: Iterable[str]) -> str:
    """A filter matching rows whose ``column`` is one of ``values``."""
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"


def chunks_schema(dimension: int) -> Any:
    """One row per passage, with its vector: also the vector cache, keyed by ``chunk_hash``."""
    import pyarrow as pa

    return pa.schema(
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
    )


def files_schema() -> Any:
    """The manifest: one row per file, with the fields of a ``FileRecord``."""
    import pyarrow as pa

    return pa.schema(
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
    )


def meta_schema() -> Any:
    """Key-value facts about the index: schema and pipeline versions, model id, dimension."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("key", pa.string(), nullable=False),
            pa.field("value", pa.string(), nullable=False),
        ]
    )


def schemas(dimension: int) -> dict[str, Any]:
    """Every table's schema by name, for an index of vectors of ``dimension``."""
    return {CHUNKS: chunks_schema(dimension), FILES: files_schema(), META: meta_schema()}
