"""Answer a query: hybrid retrieval (vectors + BM25), fused, grouped into per-file results.

Why hybrid: semantic search finds paraphrases but misses exact names, codes and rare words;
keyword search (LanceDB's BM25 full-text index) finds those but misses paraphrases. Both run
over chunks with the same prefilter; ranking.py fuses their lists (reciprocal rank fusion,
pseudo-relevance feedback), and relevance.py says how good each hit is on a calibrated scale
(``relevance`` in [0, 1], ``weak`` below the ``min_relevance`` setting). Strong files come
first. Fused chunks are grouped per file; a file's ``score`` is its best chunk's fused score
(rank only), its ``relevance`` that of its most relevant chunk.

Quoted phrases and ``-word`` exclusions filter inside both searches; a search they leave empty
is run again without them, with a note saying so. A phrase quoted inside a longer question
ranks instead of filtering (a question that cites a title wants answers, not the title).

The query is embedded in the engine's *query* context, never the indexing one, so a search
does not wait behind an indexing batch.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from desktop_app.engine import pathnames, terms
from desktop_app.engine.embedder import Embedder
from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.query import Filters, ParsedQuery, QueryError, parse_query, where_clause
from desktop_app.engine.ranking import (
    DEFAULT_RANKING,
    Ranked,
    Ranking,
    chunk_rows,
    feedback,
    file_relevance,
    keyword_terms,
    rrf_fuse,
    weigh_by_coverage,
)
from desktop_app.engine.relevance import Background, Judge, background
from desktop_app.engine.snippets import Highlighter, make_snippet
from desktop_app.engine.store import Store, sql_string, vectors_of

MODES = ("hybrid", "vector", "keyword")
MAX_PASSAGES = 3
#: Chunks fetched from each list per requested file: files with several hits need headroom.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 30
MAX_LIMIT = 1000
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")


class SearchError(UserFacingError):
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
    #: How well the file matches, calibrated against the index: comparable across queries.
    relevance: float = 0.0
    #: Below the ``min_relevance`` setting: shown behind "Show N weaker matches".
    weak: bool = False


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


class Searcher:
    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        ranking: Ranking = DEFAULT_RANKING,
        min_relevance: float = 0.5,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.ranking = ranking
        self.min_relevance = min_relevance

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
            required = self.phrases_required(parsed)
            where = where_clause(parsed, phrases=required)
            relaxed = where_clause(parsed, phrases=False, exclusions=False)
            # A phrase quoted inside a longer question ranks instead of filtering.
            boost = where_clause(parsed) if parsed.phrases and not required else None
        except QueryError as exc:
            raise SearchError(str(exc)) from exc
        if not parsed.has_words and where is None:
            raise SearchError(
                "the query is empty"
                if not query.strip()
                else "the query has no words to search for"
            )
        notes = list(parsed.notes)
        if not parsed.has_words:
            ranked = [Ranked(row, 1.0) for row in self.store.filtered(where, limit)]
            results = group_hits(self.store, ranked, parsed, limit, 1.0)
            for hit in results:
                hit.relevance = 1.0  # every hit meets the filters exactly
        else:
            # The keyword search starts on a worker thread before the query is embedded here:
            # LanceDB and llama.cpp release the GIL, so the two overlap instead of adding up.
            keyword = self._keyword_search(parsed, where, limit, mode)
            judge = Judge(self.background(), self.embedder.embed_query(parsed.text), parsed.terms)
            judge.read_with(self.embedder.count_tokens)
            results = self._ranked(parsed, judge, where, limit, mode, boost, keyword)
            if not results and where != relaxed:
                results = self._ranked(parsed, judge, relaxed, limit, mode, boost)
                if results:
                    notes.append(relaxed_note(parsed, phrases=required))
        return SearchResponse(query, mode, (time.perf_counter() - started) * 1000, results, notes)

    def background(self) -> Background:
        return background(self.store, self.embedder)

    def phrases_required(self, parsed: ParsedQuery) -> bool:
        """Whether the quoted phrases filter: when they are the point of the query, not when
        a long question quotes a title in passing (it would be answered by that title alone)."""
        loose = terms.content_terms(parsed.loose_terms) if parsed.loose_terms else []
        return len(loose) <= self.ranking.phrase_filter_words

    def _keyword_search(
        self, parsed: ParsedQuery, where: str | None, limit: int, mode: str
    ) -> Future[Any] | None:
        """The BM25 search, started on a worker thread (``None`` in vector mode)."""
        if mode == "vector":
            return None
        text = " ".join(keyword_terms(parsed.terms, self.ranking.drop_boilerplate))
        candidates = max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT)
        return _EXECUTOR.submit(lambda: self.store.keyword_search(text, candidates, where))

    def _ranked(
        self,
        parsed: ParsedQuery,
        judge: Judge,
        where: str | None,
        limit: int,
        mode: str,
        boost: str | None = None,
        keyword_future: Future[Any] | None = None,
    ) -> list[FileHit]:
        ranking = self.ranking
        candidates = max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT)
        keyword_words = keyword_terms(parsed.terms, ranking.drop_boilerplate)
        lookup = len(terms.content_terms(parsed.terms)) <= ranking.lookup_words
        if keyword_future is None:
            keyword_future = self._keyword_search(parsed, where, limit, mode)
        lists: list[list[dict[str, Any]]] = []
        weights: list[float] = []
        if mode != "keyword":
            table = self.store.vector_search(judge.query, candidates, where)
            lists.append(chunk_rows(table, judge))
            weights.append(ranking.vector_weight if mode == "hybrid" else 1.0)
        if keyword_future is not None:
            rows = chunk_rows(keyword_future.result(), judge)
            if ranking.coverage_gate > 0 and mode == "hybrid":
                rows = [r for r in rows if judge.coverage(r["text"]) >= ranking.coverage_gate]
            if ranking.relative_coverage and mode == "hybrid" and rows and lookup:
                weigh_by_coverage(rows, judge, ranking.relative_coverage)
            lists.append(rows)
            weights.append(ranking.keyword_weight if mode == "hybrid" else 1.0)
        if boost is not None and ranking.phrase_boost and mode == "hybrid":
            phrased = f"({where}) AND {boost}" if where else boost
            text = " ".join(keyword_words)
            lists.append(chunk_rows(self.store.keyword_search(text, candidates, phrased), judge))
            weights.append(ranking.phrase_boost)
        judge.observe(row["text"] for rows in lists for row in rows)
        ranked = rrf_fuse(lists, weights, ranking.rrf_k)
        if ranked and not lookup and mode != "keyword" and ranking.feedback_chunks:
            ranked = feedback(
                ranked,
                judge,
                keyword_words,
                lists,
                weights,
                ranking,
                lambda vector: chunk_rows(
                    self.store.vector_search(vector, candidates, where), judge
                ),
                lambda text: chunk_rows(self.store.keyword_search(text, candidates, where), judge),
            )
        best = sum(weights) / (ranking.rrf_k + 1)
        hits = group_hits(self.store, ranked, parsed, limit, best, ranking)
        self._judge_files(hits, ranked, judge)
        return hits

    def similar(self, path: str, limit: int = 10, filters: Filters | None = None) -> SearchResponse:
        """Files closest to ``path``: each of its chunk vectors searches, ranks fused by RRF.

        Relevance is semantic standing alone (the "query" is a file of this index, so its
        words are known and there are no query words to cover).
        """
        started = time.perf_counter()
        store = self.store
        rows = store.rows_for_paths([path], ["chunk_index", "vector"])
        if rows.num_rows == 0:
            raise SearchError(f"{path}: not in the index")
        vectors = vectors_of(rows.sort_by("chunk_index"))
        step = max(1, len(vectors) // 8)  # up to 8 probes spread over the document
        parsed = parse_query("", filters=filters)
        where = where_clause(parsed)
        exclude = f"path != {sql_string(path)}"
        where = f"({where}) AND {exclude}" if where else exclude
        judge = Judge(self.background(), vectors.mean(axis=0), [])
        judge.assume_known = True
        lists = [
            chunk_rows(store.vector_search(v, MIN_CANDIDATES, where), judge)
            for v in vectors[::step]
        ]
        ranked = rrf_fuse(lists)
        best = len(lists) / (DEFAULT_RANKING.rrf_k + 1)
        results = group_hits(store, ranked, parsed, limit, best)
        self._judge_files(results, ranked, judge)
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(f"similar:{path}", "vector", took, results)

    def _judge_files(self, hits: list[FileHit], ranked: list[Ranked], judge: Judge) -> None:
        """Set each hit's relevance and ``weak``; strong files first when the ranking says so."""
        shown = {hit.path for hit in hits}
        relevance = file_relevance([e for e in ranked if e.row["path"] in shown], judge)
        for hit in hits:
            hit.relevance = round(relevance.get(hit.path, 0.0), 4)
            hit.weak = hit.relevance < self.min_relevance
        if self.ranking.strong_first:
            hits.sort(key=lambda h: h.weak)  # stable: rank order within each group


def relaxed_note(parsed: ParsedQuery, phrases: bool = True) -> str:
    """What the fallback dropped, in the user's words."""
    parts = [f"the phrase “{p}”" for p in parsed.phrases] if phrases else []
    parts += [f"without “{w}”" for w in parsed.excluded]
    return f"No file matched {' and '.join(parts)}; showing results without that condition."


def group_hits(
    store: Store,
    ranked: list[Ranked],
    parsed: ParsedQuery,
    limit: int,
    best: float,
    ranking: Ranking = DEFAULT_RANKING,
) -> list[FileHit]:
    """Fold ranked chunks into at most ``limit`` files, each with its best passages.

    A file's score is its best chunk's, plus its next chunks' decayed when the ranking says
    so; ``best`` is the highest fused score possible, so displayed scores fall in (0, 1].
    """
    by_file: dict[str, list[Ranked]] = {}
    for entry in ranked:
        by_file.setdefault(entry.row["path"], []).append(entry)
    scores = {
        path: sum(
            entry.score * ranking.file_decay**i
            for i, entry in enumerate(entries[: ranking.file_chunks])
        )
        for path, entries in by_file.items()
    }
    if ranking.title_weight:
        details = store.file_details(list(by_file))
        wanted = terms.stems(terms.content_terms(parsed.terms))
        for path in scores:
            named = terms.text_stems(f"{details.get(path, (0, ''))[1]} {path}")
            share = len(wanted & named) / max(len(wanted), 1)
            scores[path] += ranking.title_weight * share * best
    chosen = sorted(by_file, key=lambda p: scores[p], reverse=True)[:limit]
    highlighter = Highlighter(parsed.terms, parsed.phrases)
    hits: list[FileHit] = []
    for path in chosen:
        entries = by_file[path]
        top = entries[0].row
        snippet, highlights = make_snippet(top["text"], highlighter)
        hit = FileHit(
            path=path,
            score=round(min(scores[path] / best, 1.0), 4),
            title="",
            snippet=snippet,
            highlights=highlights,
            page=top["page"],
            chunk_index=top["chunk_index"],
            file_type=top["file_type"],
            modified=top["mtime"],
            size=0,
        )
        for entry in entries[:MAX_PASSAGES]:
            row = entry.row
            hit.passages.append(
                Passage(
                    chunk_index=row["chunk_index"],
                    text=row["text"],
                    highlights=highlighter.ranges(row["text"]),
                    score=round(min(entry.score / best, 1.0), 4),
                    page=row["page"],
                    section=row["section"],
                    char_start=row["char_start"],
                    char_end=row["char_end"],
                )
            )
        hits.append(hit)
    details = store.file_details(chosen)
    for hit in hits:
        hit.size, hit.title = details.get(hit.path, (0, ""))
    return hits
