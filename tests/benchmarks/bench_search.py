"""Search latency (embedding included) and ANN recall at 10K, 100K and 1M chunks.

Synthetic corpus: clustered vectors (see common.clustered_vectors) with word-salad text for the
keyword index, written through the real Store. For each size:

* end-to-end hybrid query latency through Engine-equivalent code (query embedded with the real
  model in its own context, vector + BM25, fusion, grouping), p50/p95;
* vector-only latency, exact (flat) and with the ANN index;
* ANN recall@10 against exact search on the same table;
* numpy brute force over the same vectors held in memory (the lightweight baseline).

Usage: python -m tests.benchmarks.bench_search [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from desktop_app.engine.embedder import Embedder, query_threads
from desktop_app.engine.models import find_model
from desktop_app.engine.records import STATUS_INDEXED, ChunkData, FileRecord, FileUpdate, chunk_id
from desktop_app.engine.search import Searcher
from desktop_app.engine.store import Store
from desktop_app.engine.store.indexes import ANN_THRESHOLD_ROWS
from tests.benchmarks.common import RESULTS_DIR, clustered_vectors, percentiles, write_result

WORDS = (
    "harbor lantern copper orchard glacier meadow quartz ember fjord cedar basalt kelp "
    "lagoon nickel obsidian prairie indigo juniper garnet delta invoice report meeting "
    "budget design review server backup network protocol kernel module"
).split()
QUERIES = [
    "copper lantern in the harbor",
    "quarterly budget review meeting",
    "network backup failed on the server",
    "glacier meadow hike",
    "kernel module design",
    "invoice for obsidian and quartz",
    "cedar orchard in the prairie",
    "fjord lagoon kelp",
]
CHUNKS_PER_FILE = 10


def build(root: Path, n: int) -> tuple[Store, np.ndarray]:
    store = Store(str(root), "bench", 384)
    vectors = clustered_vectors(n, 384, seed=7)
    rng = np.random.default_rng(3)
    words = np.array(WORDS)
    batch: list[FileUpdate] = []
    for start in range(0, n, CHUNKS_PER_FILE):
        block = vectors[start : start + CHUNKS_PER_FILE]
        k = len(block)
        texts = [
            " ".join(words[rng.integers(0, len(words), 40)]) + f" doc{start + i}" for i in range(k)
        ]
        data = ChunkData(
            texts,
            [f"h{start + i}" for i in range(k)],
            block,
            [0] * k,
            [1] * k,
            [None] * k,
            [None] * k,
        )
        record = FileRecord(
            file_path(start // CHUNKS_PER_FILE),
            1,
            1,
            "h",
            STATUS_INDEXED,
            chunk_count=k,
            file_type="text",
        )
        batch.append(FileUpdate(record, data))
        if len(batch) == 5000:
            store.apply(batch)
            batch = []
    if batch:
        store.apply(batch)
    store.optimize()
    return store, vectors


def row_id(row: int) -> str:
    """The chunk id ``build`` gave the ``row``-th vector."""
    return chunk_id(file_path(row // CHUNKS_PER_FILE), row % CHUNKS_PER_FILE)


def file_path(number: int) -> str:
    return f"/bench/f{number:07d}.txt"


def timed(fn, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def bench_size(n: int, embedder: Embedder, repeats: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix=f"bench-search-{n}-"))
    try:
        t0 = time.perf_counter()
        store, vectors = build(root / "index", n)
        build_s = time.perf_counter() - t0
        searcher = Searcher(store, embedder)
        searcher.search(QUERIES[0])  # warm caches
        probes = clustered_vectors(50, 384, seed=99)

        # A flat scan of 1M rows takes seconds: fewer repeats there keep `make bench` in budget.
        exact_repeats = repeats if n < 1_000_000 else max(10, repeats // 4)
        exact_hybrid = timed(lambda i: searcher.search(QUERIES[i % len(QUERIES)]), exact_repeats)
        exact_vector = timed(lambda i: store.vector_search(probes[i % 50], 10), exact_repeats)
        # Ground truth for recall: exact top 10 by brute force over the same vectors.
        truth = [{row_id(int(j)) for j in np.argpartition(-(vectors @ p), 10)[:10]} for p in probes]
        brute = timed(lambda i: np.argpartition(-(vectors @ probes[i % 50]), 10)[:10], repeats)

        result: dict[str, object] = {
            "chunks": n,
            "load_s": round(build_s, 1),
            "hybrid_exact": percentiles(exact_hybrid),
            "vector_exact": percentiles(exact_vector),
            "numpy_bruteforce": percentiles(brute),
        }
        if n >= ANN_THRESHOLD_ROWS:
            t0 = time.perf_counter()
            store.build_vector_index()
            result["ann_build_s"] = round(time.perf_counter() - t0, 1)
            ann_vector = timed(lambda i: store.vector_search(probes[i % 50], 10), repeats)
            found = [set(store.vector_search(p, 10).column("id").to_pylist()) for p in probes]
            recall = float(np.mean([len(a & b) / 10 for a, b in zip(found, truth, strict=True)]))
            ann_hybrid = timed(lambda i: searcher.search(QUERIES[i % len(QUERIES)]), repeats)
            result.update(
                {
                    "hybrid_ann": percentiles(ann_hybrid),
                    "vector_ann": percentiles(ann_vector),
                    "ann_recall_at_10": round(recall, 4),
                }
            )
        return result
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    embedder = Embedder(find_model(), threads=query_threads())  # as the app's query context
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        result = bench_size(n, embedder, args.repeats)
        results.append(result)
        print(result, flush=True)
    # Keep the sizes this run did not measure (e.g. a separate 1M run).
    previous = RESULTS_DIR / "search.json"
    if previous.exists():
        measured = {r["chunks"] for r in results}
        kept = [
            r for r in json.loads(previous.read_text())["results"] if r["chunks"] not in measured
        ]
        results = sorted(kept + results, key=lambda r: int(str(r["chunks"])))
    write_result(
        "search",
        {
            "description": "End-to-end query latency (embedding included) and ANN recall",
            "targets": {"p95_ms_at_100k": 50, "p95_ms_at_1m": 150, "recall_at_10": 0.95},
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
