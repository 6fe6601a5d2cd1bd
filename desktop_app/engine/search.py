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

import threading
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from desktop_app.engine import pathnames, terms
from desktop_app.engine.embedder import Embedder
from desktop_app.engine.query import Filters, ParsedQuery, QueryError, parse_query, where_clause
from desktop_app.engine.relevance import (
    Background,
    BackgroundCache,
    Judge,
    Reference,
    measure_reference,
    unit_rows,
)
from desktop_app.engine.snippets import Highlighter, make_snippet
from desktop_app.engine.store import Store, sql_string, vectors_of

MODES = ("hybrid", "vector", "keyword")
MAX_PASSAGES = 3
#: Chunks fetched from each list per requested file: files with several hits need headroom.
CANDIDATES_PER_RESULT = 4
MIN_CANDIDATES = 30
MAX_LIMIT = 1000
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")
#: Words that phrase a request rather than its topic ("find articles about ...").
BOILERPLATE = frozenset(
    """
article articles paper papers document documents information find finding show list give
interested interest looking want need please search retrieve relevant related regarding
concerning pertaining discuss discussing discussion describe describing description
""".split()
)


@dataclass(frozen=True)
class Ranking:
    """How the keyword and vector lists are fused and files scored.

    The defaults are the settings measured best on a test collection (``make bench-quality``,
    docs/BENCHMARKS.md): every field is a lever that was tried there, kept or not.
    """

    #: Reciprocal rank fusion's k: larger flattens the advantage of the top ranks.
    rrf_k: int = 60
    vector_weight: float = 1.0
    keyword_weight: float = 1.0
    #: Keyword hits containing less than this rarity-weighted share of the query are dropped.
    coverage_gate: float = 0.0
    #: A query of at most this many content words is a look-up (a name, a code, "invoice
    #: 77812"), not a question: it is not expanded by feedback (which would drift to
    #: look-alikes), and its keyword hits are weighted by (their coverage / the best hit's
    #: coverage) ** ``relative_coverage``, so the hit holding every word comes first.
    lookup_words: int = 2
    relative_coverage: float = 1.0
    #: A file scores by its best ``file_chunks`` chunks, each next one weighted ``file_decay``.
    file_chunks: int = 1
    file_decay: float = 0.5
    #: Fused score added in proportion to how much of the query a file's title or name holds.
    title_weight: float = 0.0
    #: Pseudo-relevance feedback: the top fused chunks move the query vector (Rocchio) ...
    feedback_chunks: int = 3
    feedback_weight: float = 0.75
    #: Search the index again with the moved query instead of re-ranking the candidates.
    feedback_search: bool = False
    #: The moved query's list replaces the vector list instead of joining it.
    feedback_replaces: bool = True
    #: Weight of each feedback list in the fusion.
    feedback_list_weight: float = 1.0
    #: ... and give the keyword query their most distinctive words (one more keyword search).
    feedback_terms: int = 0
    #: Drop request phrasing ("articles", "find", "interested") from the keyword query.
    drop_boilerplate: bool = False
    #: Quoted phrases filter when the query has at most this many other content words;
    #: in a longer question they only rank (``phrase_boost``: weight of a list of the
    #: keyword hits that contain them).
    phrase_filter_words: int = 3
    phrase_boost: float = 0.0
    #: Strong results before weak ones (a weak file never outranks a strong one).
    strong_first: bool = True


DEFAULT_RANKING = Ranking()
#: The background sample of each open store (see relevance.BackgroundCache).
_BACKGROUNDS: weakref.WeakKeyDictionary[Store, BackgroundCache] = weakref.WeakKeyDictionary()
_BACKGROUNDS_LOCK = threading.Lock()
#: The reference sentences embedded with each model (model id -> Reference).
_REFERENCES: dict[str, Reference] = {}


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


@dataclass
class _Ranked:
    row: dict[str, Any]
    score: float = 0.0


def rrf_fuse(
    lists: Sequence[Sequence[dict[str, Any]]],
    weights: Sequence[float] | None = None,
    k: int = DEFAULT_RANKING.rrf_k,
) -> list[_Ranked]:
    """Reciprocal rank fusion of ranked chunk lists (rows keyed by ``id``), best first.

    ``weights[i]`` scales every contribution of list ``i`` (``None``: all 1), and a row's own
    ``weight`` (if any) scales its contribution.
    """
    fused: dict[str, _Ranked] = {}
    for i, rows in enumerate(lists):
        weight = weights[i] if weights is not None else 1.0
        for rank, row in enumerate(rows, start=1):
            entry = fused.setdefault(row["id"], _Ranked(row))
            entry.score += weight * row.get("weight", 1.0) / (k + rank)
    return sorted(fused.values(), key=lambda r: r.score, reverse=True)


def _rows(table: Any, judge: Judge) -> list[dict[str, Any]]:
    """Arrow search results as row dicts, each with its unit vector and its cosine similarity
    to the query."""
    unit = unit_rows(vectors_of(table)) if table.num_rows else np.zeros((0, len(judge.query)))
    sims = unit @ judge.query
    rows: list[dict[str, Any]] = table.drop_columns(["vector"]).to_pylist()
    for row, vector, sim in zip(rows, unit, sims, strict=True):
        row["vec"], row["sim"] = vector, float(sim)
    return rows


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
            ranked = [_Ranked(row, 1.0) for row in self.store.filtered(where, limit)]
            results = group_hits(self.store, ranked, parsed, limit, 1.0)
            for hit in results:
                hit.relevance = 1.0  # every hit meets the filters exactly
        else:
            judge = Judge(self.background(), self.embedder.embed_query(parsed.text), parsed.terms)
            judge.read_with(self.embedder.count_tokens)
            results = self._ranked(parsed, judge, where, limit, mode, boost)
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

    def _ranked(
        self,
        parsed: ParsedQuery,
        judge: Judge,
        where: str | None,
        limit: int,
        mode: str,
        boost: str | None = None,
    ) -> list[FileHit]:
        ranking = self.ranking
        candidates = max(MIN_CANDIDATES, limit * CANDIDATES_PER_RESULT)
        keyword_words = keyword_terms(parsed.terms, ranking.drop_boilerplate)
        lookup = len(terms.content_terms(parsed.terms)) <= ranking.lookup_words
        # The keyword search runs on a worker thread while the vector search runs here:
        # LanceDB releases the GIL, so the two overlap instead of adding up.
        keyword_future = None
        if mode != "vector":
            text = " ".join(keyword_words)
            keyword_future = _EXECUTOR.submit(
                lambda: self.store.keyword_search(text, candidates, where)
            )
        lists: list[list[dict[str, Any]]] = []
        weights: list[float] = []
        if mode != "keyword":
            table = self.store.vector_search(judge.query, candidates, where)
            lists.append(_rows(table, judge))
            weights.append(ranking.vector_weight if mode == "hybrid" else 1.0)
        if keyword_future is not None:
            rows = _rows(keyword_future.result(), judge)
            if ranking.coverage_gate > 0 and mode == "hybrid":
                rows = [r for r in rows if judge.coverage(r["text"]) >= ranking.coverage_gate]
            if ranking.relative_coverage and mode == "hybrid" and rows and lookup:
                weigh_by_coverage(rows, judge, ranking.relative_coverage)
            lists.append(rows)
            weights.append(ranking.keyword_weight if mode == "hybrid" else 1.0)
        if boost is not None and ranking.phrase_boost:
            phrased = f"({where}) AND {boost}" if where else boost
            text = " ".join(keyword_words)
            lists.append(_rows(self.store.keyword_search(text, candidates, phrased), judge))
            weights.append(ranking.phrase_boost)
        judge.observe(row["text"] for rows in lists for row in rows)
        ranked = rrf_fuse(lists, weights, ranking.rrf_k)
        if ranked and not lookup and mode != "keyword" and ranking.feedback_chunks:
            ranked = self._feedback(ranked, judge, keyword_words, where, candidates, lists, weights)
        best = sum(weights) / (ranking.rrf_k + 1)
        hits = group_hits(self.store, ranked, parsed, limit, best, ranking)
        relevance = file_relevance(ranked, judge)
        for hit in hits:
            hit.relevance = round(relevance.get(hit.path, 0.0), 4)
            hit.weak = hit.relevance < self.min_relevance
        if ranking.strong_first:
            hits.sort(key=lambda h: h.weak)  # stable: rank order within each group
        return hits

    def _feedback(
        self,
        ranked: list[_Ranked],
        judge: Judge,
        words: list[str],
        where: str | None,
        candidates: int,
        lists: list[list[dict[str, Any]]],
        weights: list[float],
    ) -> list[_Ranked]:
        """Pseudo-relevance feedback: the top fused chunks are taken as relevant, the query is
        moved towards them (Rocchio), and the candidates are ranked again by the moved query:
        one more list for the fusion. Re-ranking the candidates already fetched costs no
        query; searching the index again (``feedback_search``) costs one per list."""
        ranking = self.ranking
        top = [entry.row for entry in ranked[: ranking.feedback_chunks or 3]]
        lists, weights = list(lists), list(weights)
        if ranking.feedback_chunks:
            moved = judge.query + ranking.feedback_weight * np.mean([r["vec"] for r in top], axis=0)
            moved = moved / np.linalg.norm(moved)
            if ranking.feedback_search:
                lists.append(_rows(self.store.vector_search(moved, candidates, where), judge))
            else:
                pool = {row["id"]: row for rows in lists for row in rows}
                lists.append(sorted(pool.values(), key=lambda r: -float(r["vec"] @ moved)))
            weights.append(ranking.feedback_list_weight)
            if ranking.feedback_replaces:  # the moved query's list stands for the vector list
                lists[0], weights[0] = lists.pop(), weights.pop()
        if ranking.feedback_terms and len(lists) > 1:
            expansion = judge.distinctive_words([row["text"] for row in top], words)
            if expansion:
                text = " ".join(words + expansion[: ranking.feedback_terms])
                lists.append(_rows(self.store.keyword_search(text, candidates, where), judge))
                weights.append(ranking.feedback_list_weight)
        return rrf_fuse(lists, weights, ranking.rrf_k)


def background(store: Store, embedder: Embedder) -> Background:
    """The store's background for relevance (sampled once, re-sampled as the index grows)."""
    with _BACKGROUNDS_LOCK:
        cache = _BACKGROUNDS.setdefault(store, BackgroundCache())
    return cache.get(store.count_chunks(), store.sample, lambda: reference(embedder))


def reference(embedder: Embedder) -> Reference:
    """The reference sentences embedded with this model (once per model and process)."""
    with _BACKGROUNDS_LOCK:
        found = _REFERENCES.get(embedder.model_id)
    if found is None:
        found = measure_reference(
            lambda texts: np.stack([embedder.embed_query(t) for t in texts]),
            embedder.embed_documents,
        )
        with _BACKGROUNDS_LOCK:
            _REFERENCES[embedder.model_id] = found
    return found


def weigh_by_coverage(rows: list[dict[str, Any]], judge: Judge, power: float) -> None:
    """Weight keyword hits by how much of the query they hold, relative to the best one: a
    hit with the rare word of the query ("INV-77812") outweighs one with only "invoice"."""
    coverage = [judge.coverage(row["text"]) for row in rows]
    best = max(coverage)
    for row, value in zip(rows, coverage, strict=True):
        row["weight"] = (value / best) ** power if best > 0 else 1.0


def keyword_terms(words: list[str], drop_boilerplate: bool) -> list[str]:
    """The words sent to the keyword index (request phrasing dropped when asked)."""
    if not drop_boilerplate:
        return words
    kept = [w for w in words if w not in BOILERPLATE]
    return kept or words


def relaxed_note(parsed: ParsedQuery, phrases: bool = True) -> str:
    """What the fallback dropped, in the user's words."""
    parts = [f"the phrase “{p}”" for p in parsed.phrases] if phrases else []
    parts += [f"without “{w}”" for w in parsed.excluded]
    return f"No file matched {' and '.join(parts)}; showing results without that condition."


def file_relevance(ranked: list[_Ranked], judge: Judge) -> dict[str, float]:
    """Each candidate file's relevance: that of its most relevant fetched chunk."""
    best: dict[str, float] = {}
    for entry in ranked:
        row = entry.row
        value = judge.relevance(row["sim"], row["text"])
        if value > best.get(row["path"], -1.0):
            best[row["path"]] = value
    return best


def group_hits(
    store: Store,
    ranked: list[_Ranked],
    parsed: ParsedQuery,
    limit: int,
    best: float,
    ranking: Ranking = DEFAULT_RANKING,
) -> list[FileHit]:
    """Fold ranked chunks into at most ``limit`` files, each with its best passages.

    A file's score is its best chunk's, plus its next chunks' decayed when the ranking says
    so; ``best`` is the highest fused score possible, so displayed scores fall in (0, 1].
    """
    by_file: dict[str, list[_Ranked]] = {}
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


def similar_files(
    store: Store, embedder: Embedder, path: str, limit: int = 10, filters: Filters | None = None
) -> SearchResponse:
    """Files closest to ``path``: each of its chunk vectors searches, ranks fused by RRF.

    Relevance is semantic standing alone (the "query" is a file of this index, so its words
    are known and there are no query words to cover).
    """
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
    judge = Judge(background(store, embedder), vectors.mean(axis=0), [])
    judge.assume_known = True
    lists = [_rows(store.vector_search(v, MIN_CANDIDATES, where), judge) for v in vectors[::step]]
    ranked = rrf_fuse(lists)
    results = group_hits(store, ranked, parsed, limit, len(lists) / (DEFAULT_RANKING.rrf_k + 1))
    relevance = file_relevance(ranked, judge)
    for hit in results:
        hit.relevance = round(relevance.get(hit.path, 0.0), 4)
    return SearchResponse(
        f"similar:{path}", "vector", (time.perf_counter() - started) * 1000, results
    )
