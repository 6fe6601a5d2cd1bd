"""ANN index lifecycle on a real LanceDB table (small sizes; the large ones are benchmarks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_app.engine.records import STATUS_INDEXED, ChunkData, FileRecord, FileUpdate
from desktop_app.engine.store import Store
from desktop_app.engine.store import indexes as indexes_module

DIM = 32


def clustered(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, DIM))
    x = centers[rng.integers(0, 40, n)] + 0.3 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def fill(store: Store, vectors: np.ndarray, prefix: str) -> None:
    updates = []
    for start in range(0, len(vectors), 100):
        block = vectors[start : start + 100]
        n = len(block)
        texts = [f"{prefix} {start + i}" for i in range(n)]
        data = ChunkData(texts, texts, block, [0] * n, [1] * n, [None] * n, [None] * n)
        record = FileRecord(f"/{prefix}/{start}", 1, 1, "h", STATUS_INDEXED, chunk_count=n)
        updates.append(FileUpdate(record, data))
    store.apply(updates)


def test_index_built_above_threshold_and_new_rows_still_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes_module, "ANN_THRESHOLD_ROWS", 2000)
    store = Store(str(tmp_path / "i"), "m", DIM)
    base = clustered(3000, seed=1)
    fill(store, base[:1500], "a")
    assert not store.needs_vector_index()
    fill(store, base[1500:], "b")
    assert store.needs_vector_index()
    store.build_vector_index()
    assert store.has_vector_index and not store.needs_vector_index()

    queries = clustered(20, seed=2)
    truth = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    recalls = []
    for query, expected in zip(queries, truth, strict=True):
        got = store.vector_search(query, 10).column("text").to_pylist()
        ids = {int(t.split()[1]) + (1500 if t.startswith("b") else 0) for t in got}
        expected_ids = {int(i) for i in expected}
        recalls.append(len(ids & expected_ids) / 10)
    assert np.mean(recalls) >= 0.9
    assert store.vector_search(queries[0], 400).num_rows == 400  # wide result lists work too

    late = clustered(1, seed=3)
    fill(store, late, "late")  # not covered by the index yet
    hit = store.vector_search(late[0], 1).column("text").to_pylist()
    assert hit == ["late 0"]


def test_index_of_another_metric_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes_module, "ANN_THRESHOLD_ROWS", 1000)
    store = Store(str(tmp_path / "i"), "m", DIM)
    fill(store, clustered(1200, seed=4), "a")
    store.build_vector_index()
    reopened = Store(str(tmp_path / "i"), "m", DIM, metric="l2")
    assert not reopened.has_vector_index
    assert reopened.needs_vector_index()
    assert Store(str(tmp_path / "i"), "m", DIM, metric="l2").needs_vector_index()
