"""Answer a query: embed it, find the nearest chunks, group them into per-file results.

The query is embedded in the engine's *query* context, never the indexing one, so a search
does not wait behind an indexing batch. Hits are grouped by file: a file's score is its best
chunk's, and it carries up to three best passages with their page numbers.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from desktop_app.engine.embedder import Embedder
from desktop_app.engine.store import Store

MAX_PASSAGES = 3
SNIPPET_CHARS = 240
#: Chunks fetched per requested file: files with many matching chunks need headroom.
CANDIDATES_PER_RESULT = 8
_SPACES = re.compile(r"\s+")


class SearchError(Exception):
    """The query cannot be run; the message says why."""


@dataclass
class Passage:
    chunk_index: int
    text: str
    score: float
    page: int | None
    section: str | None
    char_start: int
    char_end: int


@dataclass
class FileHit:
    path: str
    score: float
    snippet: str
    page: int | None
    chunk_index: int
    file_type: str
    modified: float
    passages: list[Passage] = field(default_factory=list)


@dataclass
class SearchResponse:
    query: str
    took_ms: float
    results: list[FileHit]

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "took_ms": round(self.took_ms, 2),
            "results": [asdict(hit) for hit in self.results],
        }


def snippet_of(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = _SPACES.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + "…"


class Searcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, limit: int = 10) -> SearchResponse:
        started = time.perf_counter()
        text = query.strip()
        if not text:
            raise SearchError("the query is empty")
        if limit < 1:
            raise SearchError("the limit must be at least 1")
        vector = self.embedder.embed_query(text)
        rows = self.store.vector_search(vector, limit * CANDIDATES_PER_RESULT).to_pylist()
        hits: dict[str, FileHit] = {}
        for row in rows:
            score = 1.0 - float(row["_distance"])
            passage = Passage(
                row["chunk_index"],
                snippet_of(row["text"]),
                round(score, 4),
                row["page"],
                row["section"],
                row["char_start"],
                row["char_end"],
            )
            hit = hits.get(row["path"])
            if hit is None:
                hits[row["path"]] = FileHit(
                    path=row["path"],
                    score=round(score, 4),
                    snippet=passage.text,
                    page=passage.page,
                    chunk_index=passage.chunk_index,
                    file_type=row["file_type"],
                    modified=row["mtime"],
                    passages=[passage],
                )
            elif len(hit.passages) < MAX_PASSAGES:
                hit.passages.append(passage)
        results = sorted(hits.values(), key=lambda h: h.score, reverse=True)[:limit]
        return SearchResponse(text, (time.perf_counter() - started) * 1000, results)
