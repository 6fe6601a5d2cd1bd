"""Retrieval quality through the app's own pipeline and search: nDCG@10 and recall@10 per mode.

Usage: ``python -m tests.benchmarks.bench_quality [--collection DIR] [--levers]``.

The collection (SMART or BEIR layout, see testsets.py; CACM by default) is written as one
``.txt`` file per record, indexed by the app's Engine (extraction, chunking, embedding, LanceDB)
into a throwaway data folder, and every judged query is run through ``Searcher`` in each mode,
exactly as typed (quotes included). It also measures what the ``weak`` flag promises: random
letter strings and off-topic questions should come back with no strong result, while the
relevant records found should be strong. ``--levers`` adds one row per ranking lever tried.
Results go to docs/benchmarks/quality.json (``report.py`` renders them).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import testsets
from tests.benchmarks.common import write_result

DEFAULT_COLLECTION = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "cacm"
MODES = ("keyword", "vector", "hybrid")

#: Levers tried (docs/BENCHMARKS.md): (name, what it does, the setting that is *not* shipped).
#: Each row reports nDCG@10 with that setting minus the shipped ranking's. The rows named in
#: UNDOES turn a shipped choice off (what it is worth); the others are alternatives not shipped.
UNDOES = {
    "phrase always filters",
    "coverage gate 0.5",
    "no feedback",
    "feedback list added",
    "no look-up handling",
    "rank order only",
}
LEVERS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "phrase always filters",
        "a quoted phrase filters even inside a long question (before)",
        {"phrase_filter_words": 1000},
    ),
    (
        "phrase as a fused list",
        "phrase hits of a long question as a third fused list",
        {"phrase_boost": 1.0},
    ),
    (
        "coverage gate 0.5",
        "keyword hits need half the query's weighted words (before)",
        {"coverage_gate": 0.5},
    ),
    ("coverage gate 0.2", "a milder gate", {"coverage_gate": 0.2}),
    ("keyword weight 1.3", "keyword list counts 1.3x in the fusion", {"keyword_weight": 1.3}),
    ("vector weight 1.3", "vector list counts 1.3x in the fusion", {"vector_weight": 1.3}),
    ("rrf k 20", "sharper fusion (top ranks count more)", {"rrf_k": 20}),
    ("rrf k 100", "flatter fusion", {"rrf_k": 100}),
    ("file by 2 chunks", "a file's 2nd chunk adds half its score", {"file_chunks": 2}),
    ("file by 3 chunks", "2nd and 3rd chunks add (decay 0.5)", {"file_chunks": 3}),
    (
        "title/name boost 0.3",
        "files whose title or name holds query words gain",
        {"title_weight": 0.3},
    ),
    (
        "drop request words",
        "'articles', 'find', 'interested'... left out of the keyword query",
        {"drop_boilerplate": True},
    ),
    ("no feedback", "no pseudo-relevance feedback", {"feedback_chunks": 0}),
    ("feedback from 5", "the query moves towards the top 5 chunks", {"feedback_chunks": 5}),
    ("feedback weight 0.5", "Rocchio beta 0.5", {"feedback_weight": 0.5}),
    ("feedback weight 1.0", "Rocchio beta 1.0", {"feedback_weight": 1.0}),
    (
        "feedback list added",
        "the moved query's list joins the vector list, not replaces it",
        {"feedback_replaces": False},
    ),
    (
        "feedback searches again",
        "a second vector search with the moved query (+1 query)",
        {"feedback_search": True},
    ),
    (
        "keyword feedback 5 words",
        "5 distinctive words of the top 3 chunks, second BM25 search (+1 query)",
        {"feedback_terms": 5},
    ),
    (
        "no look-up handling",
        "short queries fed back and keyword hits unweighted",
        {"lookup_words": 0},
    ),
    (
        "coverage weights for all",
        "every query's keyword hits weighted by relative coverage",
        {"lookup_words": 1000},
    ),
    ("rank order only", "weak results stay where the fusion put them", {"strong_first": False}),
]


def _note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build_index(collection: testsets.Collection, work: Path) -> tuple[Any, dict[str, Any]]:
    """Write the records and index them with the app's Engine; returns (engine, figures)."""
    from desktop_app import paths
    from desktop_app.engine.service import Engine

    docs = work / "docs"
    written = testsets.write_documents(collection, docs)
    paths.set_home(work / "home")
    engine = Engine()
    engine.settings.set("idle_unload_s", 0.0)
    roots = engine.add_folders([docs])
    started = time.perf_counter()
    summary = engine.index(roots)
    seconds = time.perf_counter() - started
    return engine, {
        "records": written,
        "files_indexed": summary.indexed,
        "chunks": engine.store.count_chunks(),
        "index_s": round(seconds, 1),
    }


def evaluate(searcher: Any, collection: testsets.Collection, mode: str) -> dict[str, Any]:
    """nDCG@10 and recall@10 over the judged queries, plus what was returned."""
    ndcgs, recalls, took, runs = [], [], [], {}
    for qid, gains in sorted(
        collection.qrels.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else kv[0]
    ):
        response = searcher.search(collection.queries[qid], limit=10, mode=mode)
        ranked = [collection.doc_of(hit.path) for hit in response.results]
        ndcgs.append(testsets.ndcg_at(ranked, gains))
        recalls.append(testsets.recall_at(ranked, gains))
        took.append(response.took_ms)
        runs[qid] = response
    return {
        "ndcg10": round(statistics.mean(ndcgs), 4),
        "recall10": round(statistics.mean(recalls), 4),
        "median_ms": round(statistics.median(took), 1),
        "queries": len(ndcgs),
        "per_query": [round(x, 4) for x in ndcgs],
        "runs": runs,
    }


def weak_figures(
    searcher: Any, collection: testsets.Collection, runs: dict[str, Any]
) -> dict[str, Any]:
    """What ``weak`` promises: off-topic queries have no strong hit, relevant finds are strong."""
    found = strong = 0
    for qid, response in runs.items():
        for hit in response.results:
            if collection.doc_of(hit.path) in collection.qrels[qid]:
                found += 1
                strong += not hit.weak
    out: dict[str, Any] = {
        "relevant_found": found,
        "relevant_strong": strong,
        "relevant_strong_share": round(strong / max(found, 1), 3),
    }
    for name, queries in (
        ("nonsense", testsets.nonsense_queries()),
        ("off_topic", testsets.COOKING_QUESTIONS),
    ):
        clean = 0
        tops = []
        for query in queries:
            results = searcher.search(query, limit=10).results
            clean += not any(not hit.weak for hit in results)
            tops.append(max((hit.relevance for hit in results), default=0.0))
        out[name] = {
            "queries": len(queries),
            "no_strong_share": round(clean / len(queries), 3),
            "median_top_relevance": round(statistics.median(tops), 3),
        }
    return out


def calibration_rows(searcher: Any, collection: testsets.Collection) -> list[dict[str, Any]]:
    """Per hit: standing, coverage, relevant? (for fitting relevance.py's coefficients)."""
    from desktop_app.engine.query import parse_query
    from desktop_app.engine.relevance import Judge
    from desktop_app.engine.store import vectors_of

    background = searcher.background()
    out = []
    batches = [(qid, collection.queries[qid], collection.qrels[qid]) for qid in collection.qrels]
    batches += [(f"n{i}", q, {}) for i, q in enumerate(testsets.nonsense_queries())]
    batches += [(f"c{i}", q, {}) for i, q in enumerate(testsets.COOKING_QUESTIONS)]
    for qid, query, gains in batches:
        parsed = parse_query(query)
        judge = Judge(background, searcher.embedder.embed_query(parsed.text), parsed.terms)
        for hit in searcher.search(query, limit=10).results:
            text = max(hit.passages, key=lambda p: p.score).text
            rows = searcher.store.rows_for_paths([hit.path], ["chunk_index", "vector"])
            sims = judge.similarities(vectors_of(rows))
            out.append(
                {
                    "query": qid,
                    "z": round(judge.standing(float(sims.max())), 3),
                    "gap": round(float(sims.max()) - judge.mean, 3),
                    "scale": round(judge.scale, 3),
                    "coverage": round(judge.coverage(text), 3),
                    "relevant": collection.doc_of(hit.path) in gains,
                    "kind": "real"
                    if gains
                    else ("nonsense" if qid.startswith("n") else "off_topic"),
                }
            )
    return out


def title_lever(engine: Any, collection: testsets.Collection) -> dict[str, Any]:
    """The title prepended to each chunk before embedding, measured outside the pipeline.

    The pipeline embeds a chunk's text alone. Here every indexed chunk is embedded again by the
    app's Embedder with the record's title in front ("title, blank line, chunk"), and vector
    nDCG@10 is computed by exact search with the app's query embeddings (no feedback, so the
    three rows compare the embeddings alone). A record's title is the first line of its text,
    so only chunks after the first lack it in the index.
    """
    import numpy as np

    from desktop_app.engine.query import parse_query
    from desktop_app.engine.relevance import unit_rows
    from desktop_app.engine.store import vectors_of

    table = engine.store.chunks.to_arrow()
    ids = [collection.doc_of(p) for p in table.column("path").to_pylist()]
    texts = table.column("text").to_pylist()
    later = [i for i, c in enumerate(table.column("chunk_index").to_pylist()) if c > 0]
    titled = [f"{collection.docs[d][0]}\n\n{t}" for d, t in zip(ids, texts, strict=True)]

    def embed(batch: list[str]) -> np.ndarray:
        parts = [
            engine.index_embedder.embed_documents(batch[i : i + 32])
            for i in range(0, len(batch), 32)
        ]
        return unit_rows(np.concatenate(parts))

    as_indexed = unit_rows(vectors_of(table))
    every = embed(titled)
    after_first = as_indexed.copy()
    after_first[later] = embed([titled[i] for i in later])

    def ndcg(vectors: np.ndarray) -> float:
        scores = []
        for qid, gains in collection.qrels.items():
            query = parse_query(collection.queries[qid]).text
            sims = vectors @ unit_rows(engine.query_embedder.embed_query(query).reshape(1, -1))[0]
            ranked: list[str] = []
            for i in np.argsort(-sims):
                if ids[i] not in ranked:
                    ranked.append(ids[i])
                if len(ranked) == 10:
                    break
            scores.append(testsets.ndcg_at(ranked, gains))
        return round(statistics.mean(scores), 4)

    return {
        "chunks": len(ids),
        "later_chunks": len(later),
        "as_indexed": ndcg(as_indexed),
        "title_on_every_chunk": ndcg(every),
        "title_on_later_chunks": ndcg(after_first),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--collection", type=Path, default=DEFAULT_COLLECTION)
    parser.add_argument("--work", type=Path, help="keep the index here (default: a temp dir)")
    parser.add_argument("--levers", action="store_true", help="also measure each lever")
    parser.add_argument("--calibration", type=Path, help="write per-hit calibration rows here")
    parser.add_argument("--quick", action="store_true", help="hybrid only, no weak figures")
    args = parser.parse_args()

    from desktop_app.engine.search import DEFAULT_RANKING, Searcher

    collection = testsets.load(args.collection)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-quality-"))
    _note(
        f"{collection.name}: {len(collection.docs)} records, {len(collection.qrels)} judged queries"
    )
    engine, indexing = build_index(collection, work)
    _note(f"indexed: {indexing}")
    min_relevance = engine.settings["min_relevance"]

    def searcher(ranking: Any = DEFAULT_RANKING) -> Searcher:
        return Searcher(engine.store, engine.query_embedder, ranking, min_relevance)

    modes = {}
    for mode in ("hybrid",) if args.quick else MODES:
        modes[mode] = evaluate(searcher(), collection, mode)
        _note(f"{mode}: nDCG@10 {modes[mode]['ndcg10']}, recall@10 {modes[mode]['recall10']}")
    weak = {} if args.quick else weak_figures(searcher(), collection, modes["hybrid"]["runs"])
    _note(f"weak: {weak}")
    levers = []
    if args.levers:
        base = modes["hybrid"]["ndcg10"]
        per_base = modes["hybrid"]["per_query"]
        for name, what, changes in LEVERS:
            variant = dataclasses.replace(DEFAULT_RANKING, **changes)
            result = evaluate(searcher(variant), collection, "hybrid")
            vector = evaluate(searcher(variant), collection, "vector")
            pairs = list(zip(result["per_query"], per_base, strict=True))
            levers.append(
                {
                    "lever": name,
                    "what": what,
                    "setting": changes,
                    "undoes_shipped": name in UNDOES,
                    "ndcg10": result["ndcg10"],
                    "delta": round(result["ndcg10"] - base, 4),
                    "recall10": result["recall10"],
                    "vector_ndcg10": vector["ndcg10"],
                    "vector_delta": round(vector["ndcg10"] - modes["vector"]["ndcg10"], 4),
                    "median_ms": result["median_ms"],
                    "queries_better": sum(a > b + 1e-9 for a, b in pairs),
                    "queries_worse": sum(a < b - 1e-9 for a, b in pairs),
                }
            )
            _note(
                f"lever {name}: {result['ndcg10']} ({result['ndcg10'] - base:+.4f}), "
                f"vector {vector['ndcg10']}"
            )
    titles = title_lever(engine, collection) if args.levers else {}
    if titles:
        _note(f"title lever: {titles}")
    if args.calibration:
        import json

        args.calibration.write_text(json.dumps(calibration_rows(searcher(), collection)))
    engine.close()
    for result in modes.values():
        result.pop("runs")
    write_result(
        "quality",
        {
            "collection": collection.name,
            "records": len(collection.docs),
            "judged_queries": len(collection.qrels),
            "indexing": indexing,
            "modes": modes,
            "weak": weak,
            "min_relevance": min_relevance,
            "ranking": dataclasses.asdict(DEFAULT_RANKING),
            "levers": levers,
            "title_lever": titles,
        },
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
