"""One side of ab_search: builds the synthetic index, then times one search per line of stdin.

Kept to what every revision since the hybrid search has: bench_search's ``build`` and
``QUERIES``, ``Searcher(store, embedder).search``, and the Embedder of the query context.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from desktop_app.engine.embedder import Embedder, query_threads
from desktop_app.engine.models import find_model
from desktop_app.engine.search import Searcher
from tests.benchmarks.bench_search import QUERIES, build


def main() -> None:
    size = int(sys.argv[1])
    root = Path(tempfile.mkdtemp(prefix="ab-worker-"))
    try:
        embedder = Embedder(find_model(), threads=query_threads())
        store, _ = build(root / "index", size)
        store.build_vector_index()
        searcher = Searcher(store, embedder)
        searcher.search(QUERIES[0])  # warm caches
        print("ready", flush=True)
        for line in sys.stdin:
            i = int(line)
            started = time.perf_counter()
            searcher.search(QUERIES[i % len(QUERIES)])
            print((time.perf_counter() - started) * 1000, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
