"""How ranked lists become one ranking: fusion, feedback, look-ups, and file relevance.

Every choice here is a lever measured on a test collection (``make bench-quality``,
docs/BENCHMARKS.md "Ranking levers"); :class:`Ranking` holds them, with the measured best as
defaults. Reciprocal rank fusion (``score = sum over lists of weight / (k + rank)``, Cormack,
Clarke and Buettcher 2009) needs no calibration between cosine similarities and BM25 scores.
Pseudo-relevance feedback (Rocchio) moves the query vector towards the top fused chunks and
ranks the candidates already fetched again by it, which costs no extra query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from desktop_app.engine.relevance import Judge, unit_rows
from desktop_app.engine.store import vectors_of

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


@dataclass
class Ranked:
    row: dict[str, Any]
    score: float = 0.0


def rrf_fuse(
    lists: Sequence[Sequence[dict[str, Any]]],
    weights: Sequence[float] | None = None,
    k: int = DEFAULT_RANKING.rrf_k,
) -> list[Ranked]:
    """Reciprocal rank fusion of ranked chunk lists (rows keyed by ``id``), best first.

    ``weights[i]`` scales every contribution of list ``i`` (``None``: all 1), and a row's own
    ``weight`` (if any) scales its contribution.
    """
    fused: dict[str, Ranked] = {}
    for i, rows in enumerate(lists):
        weight = weights[i] if weights is not None else 1.0
        for rank, row in enumerate(rows, start=1):
            entry = fused.setdefault(row["id"], Ranked(row))
            entry.score += weight * row.get("weight", 1.0) / (k + rank)
    return sorted(fused.values(), key=lambda r: r.score, reverse=True)


def chunk_rows(table: Any, judge: Judge) -> list[dict[str, Any]]:
    """Arrow search results as row dicts, each with its unit vector and its cosine similarity
    to the query."""
    unit = unit_rows(vectors_of(table)) if table.num_rows else np.zeros((0, len(judge.query)))
    sims = unit @ judge.query
    rows: list[dict[str, Any]] = table.drop_columns(["vector"]).to_pylist()
    for row, vector, sim in zip(rows, unit, sims, strict=True):
        row["vec"], row["sim"] = vector, float(sim)
    return rows


def feedback(
    ranked: list[Ranked],
    judge: Judge,
    words: list[str],
    lists: list[list[dict[str, Any]]],
    weights: list[float],
    ranking: Ranking,
    search_vector: Callable[[np.ndarray], list[dict[str, Any]]],
    search_keywords: Callable[[str], list[dict[str, Any]]],
) -> list[Ranked]:
    """Pseudo-relevance feedback: the top fused chunks are taken as relevant, the query is
    moved towards them (Rocchio), and the candidates are ranked again by the moved query:
    one more list for the fusion. Re-ranking the candidates already fetched costs no
    query; searching the index again (``feedback_search``) costs one per list."""
    top = [entry.row for entry in ranked[: ranking.feedback_chunks or 3]]
    lists, weights = list(lists), list(weights)
    if ranking.feedback_chunks:
        moved = judge.query + ranking.feedback_weight * np.mean([r["vec"] for r in top], axis=0)
        moved = moved / np.linalg.norm(moved)
        if ranking.feedback_search:
            lists.append(search_vector(moved))
        else:
            pool = list({row["id"]: row for rows in lists for row in rows}.values())
            order = np.argsort(-(np.stack([row["vec"] for row in pool]) @ moved), kind="stable")
            lists.append([pool[i] for i in order])
        weights.append(ranking.feedback_list_weight)
        if ranking.feedback_replaces:  # the moved query's list stands for the vector list
            lists[0], weights[0] = lists.pop(), weights.pop()
    if ranking.feedback_terms and len(lists) > 1:
        expansion = judge.distinctive_words([row["text"] for row in top], words)
        if expansion:
            text = " ".join(words + expansion[: ranking.feedback_terms])
            lists.append(search_keywords(text))
            weights.append(ranking.feedback_list_weight)
    return rrf_fuse(lists, weights, ranking.rrf_k)


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


def file_relevance(ranked: list[Ranked], judge: Judge) -> dict[str, float]:
    """Each candidate file's relevance: that of its most relevant fetched chunk."""
    best: dict[str, float] = {}
    for entry in ranked:
        row = entry.row
        value = judge.relevance(row["sim"], row["text"])
        if value > best.get(row["path"], -1.0):
            best[row["path"]] = value
    return best
