"""Answer a query: hybrid retrieval (vectors + BM25), fused, grouped into per-file results.

Why hybrid: semantic search finds paraphrases but misses exact names, codes and rare words;
keyword search (LanceDB's BM25 full-text index) finds those but misses paraphrases. Both run
over chunks with the same prefilter, and their ranked lists are fused with reciprocal rank
fusion: ``score(chunk) = sum over lists of 1 / (RRF_K + rank)``. RRF needs no score calibration
between cosine similarities and BM25 scores (which live on unrelated scales), and ``RRF_K = 60``
(Cormack, Clarke and Buettcher, SIGIR 2009) keeps one list's top hit from swamping a chunk that
both lists rank well. Fused chunks are grouped per file; a file's score is its best chunk's,
normalised so that 1.0 means "first in both lists".

The query is embedded in the engine's *query* context, never the indexing one, so a search
does not wait behind an indexing batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from desktop_app.engine import pathnames
from desktop_app.engine.embedder import Embedder
from desktop_app.engine.query import Filters, ParsedQuery, QueryError, parse_query, where_clause
from desktop_app.engine.snippets import highlight_ranges, make_snippet, term_pattern
from desktop_app.engine.store import Store, sql_string, vectors_of

MODES = ("hybrid", "vector", "keyword")
RRF_K = 60
MAX_PASSAGES = 3
#: Chunks fetched from each list per requested file: files with several hits need headroom.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 30
MAX_LIMIT = 1000
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")
#: A keyword hit must contain at least this share of the query's content words to be fused.
MIN_COVERAGE = 0.5
#: Common English words that carry no topic (BM25 drops them too; coverage ignores them).
STOP_WORDS = frozenset(
    """
a about above after again all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our ours out over own same she should so some such
than that the their theirs them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours
""".split()
)


class SearchError(Exception):
    """The query cannot be run; the message says why."""


@dataclass
class Passage:
    chunk_index: int
    text: str
    highlights: list[tuple[int, int]]
    score: float
    page: int | None
    section: str | None
    char_start: int
    char_end: int


@dataclass
class FileHit:
    path: str
    score: float
    title: str
    snippet: str
    highlights: list[tuple[int, int]]
    page: int | None
    chunk_index: int
    file_type: str
    modified: float
    size: int
    passages: list[Passage] = field(default_factory=list)


@dataclass
class SearchResponse:
    query: str
    mode: str
    took_ms: float
    results: list[FileHit]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "took_ms": round(self.took_ms, 2),
            "notes": self.notes,
            "results": [{**asdict(hit), **pathnames.as_json(hit.path)} for hit in self.results],
        }


@dataclass
class _Ranked:
    row: dict[str, Any]
    score: float = 0.0


def rrf_fuse(
    lists: Sequence[Sequence[dict[str, Any]]],
    weights: Sequence[Sequence[float] | None] | None = None,
    k: int = RRF_K,
) -> list[_Ranked]:
    """Reciprocal rank fusion of ranked chunk lists (rows keyed by ``id``), best first.

    ``weights[i][r]`` scales the contribution of row ``r`` of list ``i`` (``None``: all 1).
    """
    fused: dict[str, _Ranked] = {}
    for i, rows in enumerate(lists):
        row_weights = weights[i] if weights is not None else None
        for rank, row in enumerate(rows, start=1):
            weight = row_weights[rank - 1] if row_weights is not None else 1.0
            entry = fused.setdefault(row["id"], _Ranked(row))
            entry.score += weight / (k + rank)
    return sorted(fused.values(), key=lambda r: r.score, reverse=True)


def keyword_coverage(rows: list[dict[str, Any]], terms: Sequence[str]) -> list[float]:
    """Share of the query's content words each row contains (by stem-ish prefix)."""
    content = [t for t in terms if t not in STOP_WORDS] or list(terms)
    patterns = [term_pattern([t]) for t in content]
    usable = [p for p in patterns if p is not None]
    if not usable:
        return [1.0] * len(rows)
    return [sum(1 for p in usable if p.search(row["text"])) / len(usable) for row in rows]


def lexical_list(
    rows: list[dict[str, Any]], terms: Sequence[str]
) -> tuple[list[dict[str, Any]], list[float]]:
    """BM25 hits fit for fusion: those matching at least half the query's content words.

    Why: BM25 ranks a chunk that shares one common word with a long question first when
    nothing else matches, and plain RRF would then put that chunk above the semantic answer.
    Dropping weak matches, and weighting the rest by coverage, keeps the keyword list decisive
    exactly where it should be (names, codes, rare words) and quiet elsewhere.
    """
    coverage = keyword_coverage(rows, terms)
    kept = [(row, c) for row, c in zip(rows, coverage, strict=True) if c >= MIN_COVERAGE]
    return [row for row, _ in kept], [c for _, c in kept]


class Searcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(
        self,
        query: str,
        limit: int = 10,
        mode: str = "hybrid",
        filters: Filters | None = None,
    ) -> SearchResponse:
        started = time.perf_counter()
        if mode not in MODES:
            raise SearchError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if not 1 <= limit <= MAX_LIMIT:
            raise SearchError(f"the limit must be between 1 and {MAX_LIMIT}")
        try:
            parsed = parse_query(query, filters=filters)
            where = where_clause(parsed)
        except QueryError as exc:
            raise SearchError(str(exc)) from exc
        if not parsed.has_words and where is None:
            raise SearchError(
                "the query is empty"
                if not query.strip()
                else "the query has no words to search for"
            )
        candidates = max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT)
        if not parsed.has_words:
            ranked = [_Ranked(row, 1.0) for row in self.store.filtered(where, candidates)]
            best = 1.0
        else:
            # The keyword search runs on a worker thread while the query is embedded and the
            # vector search runs here: LanceDB and llama.cpp release the GIL, so the two
            # overlap instead of adding up.
            keyword_future = None
            if mode in ("hybrid", "keyword"):
                text = " ".join(parsed.terms)
                keyword_future = _EXECUTOR.submit(
                    lambda: self.store.keyword_search(text, candidates, where).to_pylist()
                )
            lists: list[list[dict[str, Any]]] = []
            weights: list[list[float] | None] = []
            if mode in ("hybrid", "vector"):
                vector = self.embedder.embed_query(parsed.text)
                lists.append(self.store.vector_search(vector, candidates, where).to_pylist())
                weights.append(None)
            if keyword_future is not None:
                rows = keyword_future.result()
                if mode == "hybrid":
                    rows, coverage = lexical_list(rows, parsed.terms)
                    weights.append(coverage)
                else:
                    weights.append(None)
                lists.append(rows)
            ranked = rrf_fuse(lists, weights)
            best = len(lists) / (RRF_K + 1)
        results = group_hits(self.store, ranked, parsed, limit, best)
        return SearchResponse(
            query, mode, (time.perf_counter() - started) * 1000, results, parsed.notes
        )


def group_hits(
    store: Store, ranked: list[_Ranked], parsed: ParsedQuery, limit: int, best: float
) -> list[FileHit]:
    """Fold ranked chunks into at most ``limit`` files, each with its best passages.

    ``best`` is the highest fused score possible, so displayed scores fall in (0, 1].
    """
    content = [t for t in parsed.terms if t not in STOP_WORDS] or parsed.terms
    pattern = term_pattern(content, parsed.phrases)
    hits: dict[str, FileHit] = {}
    for entry in ranked:
        row = entry.row
        path = row["path"]
        hit = hits.get(path)
        if hit is None:
            if len(hits) == limit:
                continue
            snippet, highlights = make_snippet(row["text"], pattern)
            hit = hits[path] = FileHit(
                path=path,
                score=round(entry.score / best, 4),
                title="",
                snippet=snippet,
                highlights=highlights,
                page=row["page"],
                chunk_index=row["chunk_index"],
                file_type=row["file_type"],
                modified=row["mtime"],
                size=0,
            )
        if len(hit.passages) < MAX_PASSAGES:
            text = row["text"]
            hit.passages.append(
                Passage(
                    chunk_index=row["chunk_index"],
                    text=text,
                    highlights=highlight_ranges(text, pattern),
                    score=round(entry.score / best, 4),
                    page=row["page"],
                    section=row["section"],
                    char_start=row["char_start"],
                    char_end=row["char_end"],
                )
            )
    details = store.file_details(list(hits))
    for path, hit in hits.items():
        size, title = details.get(path, (0, ""))
        hit.size, hit.title = size, title
    return list(hits.values())


def similar_files(
    store: Store, path: str, limit: int = 10, filters: Filters | None = None
) -> SearchResponse:
    """Files closest to ``path``: each of its chunk vectors searches, ranks fused by RRF."""
    started = time.perf_counter()
    rows = store.rows_for_paths([path], ["chunk_index", "vector"])
    if rows.num_rows == 0:
        raise SearchError(f"{path}: not in the index")
    vectors = vectors_of(rows.sort_by("chunk_index"))
    step = max(1, len(vectors) // 8)  # up to 8 probes spread over the document
    parsed = parse_query("", filters=filters)
    where = where_clause(parsed)
    exclude = f"path != {sql_string(path)}"
    where = f"({where}) AND {exclude}" if where else exclude
    lists = [store.vector_search(v, MIN_CANDIDATES, where).to_pylist() for v in vectors[::step]]
    results = group_hits(store, rrf_fuse(lists), parsed, limit, len(lists) / (RRF_K + 1))
    return SearchResponse(
        f"similar:{path}", "vector", (time.perf_counter() - started) * 1000, results
    )
