"""Indexing end to end on real LanceDB and the real model: formats, increments, bad input."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from desktop_app.engine.records import STATUS_FAILED, STATUS_INDEXED
from desktop_app.engine.scanner import BINARY_EXTENSIONS
from desktop_app.engine.service import Engine, EngineError
from tests.helpers.corpus import make_bad_files, make_corpus
from tests.integration.conftest import hit_paths


def test_every_format_is_indexed_and_found(engine: Engine, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "docs")
    engine.add_folders([tmp_path / "docs"])
    summary = engine.index()
    assert summary.failed == 0, summary.errors
    assert summary.indexed == len(corpus)
    manifest = engine.store.manifest()
    for path, entry in corpus.items():
        record = manifest[str(path)]
        assert record.status == STATUS_INDEXED, (path, record.reason, record.message)
        response = engine.search(entry.phrase, limit=3)
        paths = [hit.path for hit in response.results]
        assert str(path) in paths, (entry.phrase, paths)
        if entry.page is not None:
            hit = next(h for h in response.results if h.path == str(path))
            pages = {p.page for p in hit.passages}
            assert entry.page in pages, (path.name, entry.page, pages)
    assert engine.store.doctor().ok


def test_incremental_runs(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for i, topic in enumerate(
        [
            "volcanoes erupt lava",
            "penguins swim in icy water",
            "compilers optimise loops",
            "bread dough needs yeast",
        ]
    ):
        (root / f"note{i}.txt").write_text(f"A note about {topic}.\n")
    engine.add_folders([root])
    first = engine.index()
    assert (first.indexed, first.embedded) == (4, 4)

    again = engine.index()
    assert (again.indexed, again.embedded, again.unchanged) == (0, 0, 4)

    (root / "note1.txt").write_text("A note about emperor penguins diving for fish.\n")
    edited = engine.index()
    assert (edited.indexed, edited.embedded, edited.unchanged) == (1, 1, 3)

    (root / "note2.txt").rename(root / "renamed compilers.txt")
    moved = engine.index()
    assert (moved.renamed, moved.embedded, moved.indexed) == (1, 0, 0)
    assert str(root / "renamed compilers.txt") in hit_paths(engine, "loop optimisation")
    assert str(root / "note2.txt") not in engine.store.manifest()

    os.utime(root / "note3.txt", ns=(1, 1))  # touched, content unchanged
    touched = engine.index()
    assert (touched.touched, touched.embedded) == (1, 0)

    (root / "note0.txt").unlink()
    deleted = engine.index()
    assert deleted.removed == 1
    assert str(root / "note0.txt") not in hit_paths(engine, "volcanic lava")
    assert engine.store.doctor().ok
    assert engine.store.count_chunks() == 3


def test_identical_text_is_embedded_once(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(3):
        (root / f"copy{i}.txt").write_text("Exactly the same paragraph in three files.\n")
    engine.add_folders([root])
    summary = engine.index()
    assert (summary.indexed, summary.embedded, summary.reused) == (3, 1, 2)


def test_bad_input_is_recorded_and_good_files_indexed(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    bad = make_bad_files(root)
    (root / "good one.txt").write_text("The good file talks about sailing boats.\n")
    (root / "new\nline.txt").write_text("A name with a newline talks about kites.\n")
    (root / "ünïcödé.md").write_text("# Title\n\nUnicode name file about mountains.\n")
    (root / "loop").symlink_to(root, target_is_directory=True)
    engine.add_folders([root])
    plan = engine.plan()
    vanishing = root / "vanishing.txt"
    vanishing.write_text("gone before it is read")
    plan.new.append(type(plan.new[0])(str(vanishing), 22, 1))
    vanishing.unlink()
    summary = engine.run_plan(plan)
    manifest = engine.store.manifest()
    skipped_by_type = {p for p in bad if p.suffix.lower() in BINARY_EXTENSIONS}
    assert not {str(p) for p in skipped_by_type} & set(manifest)  # never even opened
    bad = {p: r for p, r in bad.items() if p not in skipped_by_type}
    assert len(bad) >= 6
    for path, reason in bad.items():
        record = manifest[str(path)]
        assert (record.reason, record.status != STATUS_INDEXED) == (reason, True), path
        assert record.message
    assert str(vanishing) not in manifest
    for good in ("good one.txt", "new\nline.txt", "ünïcödé.md"):
        assert manifest[str(root / good)].status == STATUS_INDEXED
    failed = {e["path"] for e in summary.errors}
    assert failed == {str(p) for p, r in bad.items() if r != "unsupported"}
    assert engine.index().indexed == 0  # failures are not retried until the file changes
    assert engine.store.doctor().ok


def test_failure_status_and_retry_after_change(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    broken = root / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n garbage garbage")
    engine.add_folders([root])
    engine.index()
    assert engine.store.manifest()[str(broken)].status == STATUS_FAILED
    status = engine.status()
    assert status.files.failed == 1
    assert status.failures[0].path == str(broken)
    broken.unlink()
    (root / "broken.txt").write_text("Repaired text about lighthouses.\n")
    summary = engine.index()
    assert summary.removed == 1 and summary.indexed == 1


def test_remove_folder_forgets_its_files(engine: Engine, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.txt").write_text(f"folder {name} talks about trains.\n")
    engine.add_folders([tmp_path / "a", tmp_path / "b"])
    engine.index()
    engine.remove_folder(tmp_path / "a")
    assert hit_paths(engine, "trains") == [str(tmp_path / "b" / "f.txt")]
    assert engine.folders == [str(tmp_path / "b")]


def test_missing_folder_keeps_its_index(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "usb"
    root.mkdir()
    (root / "f.txt").write_text("Files on a removable drive about tulips.\n")
    engine.add_folders([root])
    engine.index()
    shutil.move(root, tmp_path / "unplugged")
    summary = engine.index()
    assert summary.removed == 0
    assert summary.errors and summary.errors[0]["message"] == "folder not found"
    assert hit_paths(engine, "tulips") == [str(root / "f.txt")]


def test_bad_folders_are_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="no such folder"):
        engine.add_folders([tmp_path / "nope"])
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(EngineError, match="not a folder"):
        engine.add_folders([tmp_path / "file.txt"])


def test_a_degenerate_file_does_not_flood_the_index(engine: Engine, tmp_path: Path) -> None:
    """One word repeated over megabytes became thousands of identical chunks; now each
    distinct passage of a file is stored once, so it costs a couple of rows."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "junk.txt").write_text("buffalo " * 250_000)  # 2 MB, about 1,000 chunks' worth
    topics = {
        "tides.txt": "The moon's gravity pulls the oceans and makes the tides rise and fall.",
        "bread.txt": "Knead the dough, let the yeast rise overnight, then bake the loaf.",
        "chess.txt": "A chess opening develops the knights and bishops and castles early.",
    }
    for name, text in topics.items():
        (root / name).write_text(text + "\n")
    engine.add_folders([root])
    summary = engine.index()
    record = engine.store.manifest()[str(root / "junk.txt")]
    assert record.status == STATUS_INDEXED and record.reason == ""
    assert 1 <= record.chunk_count <= 3, record.chunk_count
    assert summary.chunks == record.chunk_count + len(topics)
    for query, name in (
        ("why do tides happen", "tides.txt"),
        ("how to bake bread", "bread.txt"),
        ("chess openings", "chess.txt"),
    ):
        assert hit_paths(engine, query, limit=2)[0] == str(root / name)
    assert engine.store.doctor().ok


def test_chunks_per_file_are_capped_and_the_cut_is_reported(engine: Engine, tmp_path: Path) -> None:
    import random

    engine.settings.set("max_chunks_per_file", 3)
    rng = random.Random(5)
    words = [f"w{rng.randrange(10**6)}" for _ in range(3000)]  # distinct text, many chunks
    words[5] = "firstpart7"
    words[-5] = "lastpart9"
    root = tmp_path / "docs"
    root.mkdir()
    long = root / "long.txt"
    long.write_text("\n\n".join(" ".join(words[i : i + 60]) + "." for i in range(0, 3000, 60)))
    engine.add_folders([root])
    summary = engine.index()
    assert summary.truncated == 1
    record = engine.store.manifest()[str(long)]
    assert (record.status, record.reason, record.chunk_count) == (STATUS_INDEXED, "truncated", 3)
    assert "3 of " in record.message and "max_chunks_per_file" in record.message
    status = engine.status()
    assert status.files.truncated == 1
    assert [(n.path, n.reason) for n in status.notices] == [(str(long), "truncated")]
    assert hit_paths(engine, "firstpart7") == [str(long)]
    assert engine.search("lastpart9", mode="keyword").results == []  # beyond the cap
    assert engine.store.doctor().ok
