"""Records to Arrow tables and back: the one place that knows how a chunk row is laid out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from desktop_app.engine.records import ChunkData, FileRecord, FileUpdate, chunk_id
from desktop_app.engine.store.schema import chunks_schema, files_schema


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


def chunk_table(updates: Sequence[FileUpdate], dimension: int) -> Any:
    """The chunk rows of ``updates`` (each must carry chunks) as one Arrow table.

    Built column by column, with the vectors as one contiguous float32 block: a batch holds
    thousands of rows, and row dictionaries would cost more than the commit itself.
    """
    import pyarrow as pa

    schema = chunks_schema(dimension)
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
        vectors.append(np.asarray(data.vectors, dtype=np.float32).reshape(n, dimension))
    flat = np.concatenate(vectors) if vectors else np.zeros((0, dimension), np.float32)
    arrays = {
        name: pa.array(values, type=schema.field(name).type) for name, values in columns.items()
    }
    arrays["vector"] = pa.FixedSizeListArray.from_arrays(
        pa.array(flat.ravel(), type=pa.float32()), dimension
    )
    return pa.table([arrays[name] for name in schema.names], schema=schema)


def file_table(records: Sequence[FileRecord]) -> Any:
    """Manifest rows as an Arrow table."""
    import pyarrow as pa

    return pa.Table.from_pylist([asdict(r) for r in records], schema=files_schema())
