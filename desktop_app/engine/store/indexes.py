"""The search indexes on the chunks table: BM25 over the text, and the ANN index over vectors.

The full-text index always exists. The vector index is built only once the table outgrows
exact search (:data:`ANN_THRESHOLD_ROWS`), in the background; until then, and for rows added
since, LanceDB searches exactly. The thresholds and search parameters are read from this
module at call time, so tests and benchmarks patch them here.
"""

from __future__ import annotations

import logging
from typing import Any, cast

log = logging.getLogger(__name__)

#: Below this many chunks the vector search is exact: a flat scan costs about 2.3 us per row
#: here (233 ms at 100K), so 10K rows keep it near 25 ms. See docs/BENCHMARKS.md.
ANN_THRESHOLD_ROWS = 10_000
#: HNSW graphs per IVF partition: one partition per 50K rows keeps each graph quick to build.
ANN_ROWS_PER_PARTITION = 50_000
#: Search parameters: partitions probed, HNSW beam width, and exact re-ranking of
#: refine x limit candidates (recall@10 >= 0.99 at 100K and 1M in our measurements).
ANN_NPROBES = 12  # at 1M rows (20 partitions): 4 -> recall 0.88, 8 -> 0.98, 12 -> 1.00
ANN_EF = 100
ANN_REFINE_FACTOR = 5
#: HNSW graph degree and build beam. LanceDB's defaults (20, 300) took 506 s at 1M rows here;
#: (16, 100) took 168-178 s at the same recall@10 (0.998, with the refine step above), for
#: 4-9 ms more per vector search at 1M and none at 100K (docs/benchmarks/NOTES.md).
ANN_HNSW_M = 16
ANN_EF_CONSTRUCTION = 100


class SearchIndexes:
    """The indexes of one chunks table searched by ``metric``.

    Opening makes sure the full-text index exists and drops a vector index built for another
    metric (it would rank wrongly; it is rebuilt like a missing one).
    """

    def __init__(self, chunks: Any, metric: str) -> None:
        self._chunks = chunks
        self._metric = metric
        self._ensure_fts_index()
        self._vector_index = self._find_vector_index()
        self._check_vector_index_metric()

    def _ensure_fts_index(self) -> None:
        """The BM25 index on chunk text; created once, updated by the store's ``optimize``."""
        if any(index.index_type == "FTS" for index in self._chunks.list_indices()):
            return
        from lancedb.index import FTS

        self._chunks.create_index("text", config=FTS(with_position=False), replace=True)

    def _find_vector_index(self) -> Any:
        for index in self._chunks.list_indices():
            if index.columns == ["vector"]:
                return index
        return None

    def _check_vector_index_metric(self) -> None:
        if self._vector_index is None:
            return
        built_with = self._chunks.index_stats(self._vector_index.name).distance_type
        if built_with and built_with != self._metric:
            log.warning(
                "vector index built for %s, searching with %s: dropping it",
                built_with,
                self._metric,
            )
            self._chunks.drop_index(self._vector_index.name)
            self._vector_index = None

    @property
    def has_vector_index(self) -> bool:
        return self._vector_index is not None

    def needs_vector_index(self, rows: int) -> bool:
        """Whether a table of ``rows`` chunks has outgrown exact search without an ANN index."""
        return self._vector_index is None and rows >= ANN_THRESHOLD_ROWS

    def build_vector_index(self, rows: int) -> None:
        """Build the ANN index over a table of ``rows`` chunks (about 25 s per 100K here).

        IVF_HNSW_SQ: measured on this machine at 100K x 384 it reached recall@10 0.99-1.0 at
        6 ms, where IVF_PQ needed 26 ms for 0.97 (docs/BENCHMARKS.md).
        """
        from lancedb.index import IvfHnswSq

        partitions = max(1, rows // ANN_ROWS_PER_PARTITION)
        config = IvfHnswSq(
            distance_type=cast(Any, self._metric),
            num_partitions=partitions,
            m=ANN_HNSW_M,
            ef_construction=ANN_EF_CONSTRUCTION,
        )
        self._chunks.create_index("vector", config=config, replace=True)
        self._vector_index = self._find_vector_index()
        log.info("built the vector index over %d chunks (%d partitions)", rows, partitions)

    def tune(self, query: Any, limit: int) -> Any:
        """``query``, a vector search for ``limit`` rows, with the ANN search parameters once
        the index exists (exact searches take none)."""
        if self._vector_index is None:
            return query
        # HNSW's beam must be at least as wide as the candidates it returns for re-ranking.
        ef = max(ANN_EF, limit * ANN_REFINE_FACTOR)
        return query.nprobes(ANN_NPROBES).ef(ef).refine_factor(ANN_REFINE_FACTOR)
