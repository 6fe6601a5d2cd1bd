"""The LanceDB store: atomic per-file replace, manifest, cache, doctor, model guard."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from desktop_app.engine.records import (
    STATUS_FAILED,
    STATUS_INDEXED,
    ChunkData,
    FileRecord,
    FileUpdate,
)
from desktop_app.engine.store import ModelMismatchError, Store, StoreError

DIM = 8


def update(path: str, texts: list[str], seed: int = 0) -> FileUpdate:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(texts), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    data = ChunkData(
        texts,
        [f"h-{t}" for t in texts],
        vectors,
        [0] * len(texts),
        [len(t) for t in texts],
        [1] * len(texts),
        [None] * len(texts),
    )
    record = FileRecord(
        path,
        10,
        1,
        f"c-{path}",
        STATUS_INDEXED,
        chunk_count=len(texts),
        model_id="m",
        file_type="text",
    )
    return FileUpdate(record, data)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(str(tmp_path / "index"), "m", DIM)


def paths_in(store: Store) -> list[str]:
    return sorted(store.chunks.to_arrow().column("path").to_pylist())


def test_apply_replaces_a_files_chunks_in_one_commit(store: Store) -> None:
    store.apply([update("/a", ["one", "two", "three"]), update("/b", ["bee"])])
    assert paths_in(store) == ["/a", "/a", "/a", "/b"]
    version = store.chunks.version
    store.apply([update("/a", ["uno"])])
    assert store.chunks.version == version + 1
    assert paths_in(store) == ["/a", "/b"]
    assert store.manifest()["/a"].chunk_count == 1
    assert store.doctor().ok


def test_failed_file_has_a_manifest_row_and_no_chunks(store: Store) -> None:
    store.apply([update("/a", ["x"])])
    failed = FileRecord("/a", 1, 2, "c", STATUS_FAILED, reason="corrupt", message="bad")
    store.apply([FileUpdate(failed)])
    assert paths_in(store) == []
    assert store.manifest()["/a"].reason == "corrupt"
    assert store.doctor().ok


def test_deletions(store: Store) -> None:
    store.apply([update("/a", ["x"]), update("/b", ["y"]), update("/c", ["z"])])
    store.apply([update("/d", ["w"])], deleted=["/a"])
    store.apply([], deleted=["/b"])
    assert paths_in(store) == ["/c", "/d"]
    assert sorted(store.manifest()) == ["/c", "/d"]


def test_quotes_in_paths(store: Store) -> None:
    store.apply([update("/it's here", ["x"]), update("/other", ["y"])])
    store.apply([], deleted=["/it's here"])
    assert paths_in(store) == ["/other"]


def test_delete_under_folder(store: Store) -> None:
    store.apply([update("/r/a", ["x"]), update("/r/sub/b", ["y"]), update("/rr/c", ["z"])])
    store.delete_under("/r")
    assert paths_in(store) == ["/rr/c"]
    assert sorted(store.manifest()) == ["/rr/c"]


def test_cached_vectors(store: Store) -> None:
    u = update("/a", ["one", "two"], seed=3)
    store.apply([u])
    found = store.cached_vectors(["h-one", "h-two", "h-unknown"])
    assert set(found) == {"h-one", "h-two"}
    assert u.chunks is not None
    assert np.allclose(found["h-one"], u.chunks.vectors[0])


def test_doctor_finds_and_forget_fixes_inconsistency(store: Store) -> None:
    store.apply([update("/a", ["x", "y"]), update("/b", ["z"])])
    store.chunks.delete("id LIKE '%-000001'")  # lose one of /a's chunks
    orphan = update("/orphan", ["o"])
    store.apply([orphan])
    store.files.delete("path = '/orphan'")
    report = store.doctor()
    assert not report.ok
    assert report.bad_paths == {"/a"} and report.orphan_paths == {"/orphan"}
    store.forget(report.bad_paths | report.orphan_paths)
    assert store.doctor().ok


def test_model_mismatch_is_detected(tmp_path: Path) -> None:
    Store(str(tmp_path / "i"), "model-a", DIM)
    with pytest.raises(ModelMismatchError, match="model-a"):
        Store(str(tmp_path / "i"), "model-b", DIM)
    with pytest.raises(ModelMismatchError):
        Store(str(tmp_path / "i"), "model-a", DIM * 2)


def test_missing_table_is_reported(tmp_path: Path) -> None:
    Store(str(tmp_path / "i"), "m", DIM)
    shutil.rmtree(tmp_path / "i" / "files.lance")
    with pytest.raises(StoreError, match="damaged"):
        Store(str(tmp_path / "i"), "m", DIM)
    Store.destroy(str(tmp_path / "i"))
    assert Store(str(tmp_path / "i"), "m", DIM).manifest() == {}


def test_optimize_bounds_versions(store: Store) -> None:
    for i in range(15):
        store.apply([update("/a", [f"v{i}"])])
    before = store.version_count()
    time.sleep(0.01)
    store.optimize(retain=dt.timedelta(milliseconds=1))
    assert store.version_count() < before
    assert store.doctor().ok and paths_in(store) == ["/a"]


def test_foreign_schema_is_refused(tmp_path: Path) -> None:
    import lancedb
    import pyarrow as pa

    Store(str(tmp_path / "i"), "m", DIM)
    db = lancedb.connect(tmp_path / "i")
    db.create_table("files", schema=pa.schema([pa.field("path", pa.string())]), mode="overwrite")
    with pytest.raises(StoreError, match="unexpected files schema"):
        Store(str(tmp_path / "i"), "m", DIM)
