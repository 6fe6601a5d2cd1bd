"""What the index stores about a file: its manifest row, its chunks, and the status words.

Kept apart from :mod:`desktop_app.engine.store` (and free of numpy and LanceDB at import time)
because the scanner, and through it the watcher, needs only these plain records: importing
them must not load the vector stack. The store package re-exports every name here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

STATUS_INDEXED = "indexed"
STATUS_FAILED = "failed"
STATUS_SKIPPED = "skipped"
#: The reason of an indexed file whose passages were cut at ``max_chunks_per_file``.
TRUNCATED = "truncated"


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


def chunk_id(path: str, index: int) -> str:
    """The stable id of a file's ``index``-th chunk: the same path and position always give
    the same id, so a rewrite of a file replaces its rows instead of adding beside them."""
    return f"{hashlib.sha1(path.encode('utf-8')).hexdigest()[:20]}-{index:06d}"  # noqa: S324
