"""The watcher keeps the index current: create, modify, rename, delete; bursts coalesce."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.engine.service import Engine
from desktop_app.engine.watcher import FolderWatcher
from tests.integration.conftest import hit_paths

TIMEOUT_S = 15.0  # generous: the target is 3 s, asserted loosely on a shared machine


def wait_for(condition: object, timeout: float = TIMEOUT_S) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def watched(engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, Path, list[set[str]]]]:
    root = tmp_path / "watched"
    root.mkdir()
    engine.add_folders([root])
    engine.index()
    batches: list[set[str]] = []

    def on_changes(paths: set[str]) -> None:
        batches.append(paths)
        engine.run_plan(engine.plan_paths(paths))

    watcher = FolderWatcher([str(root)], on_changes, debounce_s=0.3)
    watcher.start()
    yield engine, root, batches
    watcher.stop()


def test_create_modify_rename_delete(watched: tuple[Engine, Path, list[set[str]]]) -> None:
    engine, root, _ = watched
    note = root / "note.txt"
    note.write_text("The submarine dives under the arctic ice.\n")
    wait_for(lambda: str(note) in hit_paths(engine, "submarine under ice", 3))

    note.write_text("The hot air balloon floats over the desert.\n")
    # The chunks commit lands before the manifest commit: the row may lag the search a moment.
    wait_for(
        lambda: (
            getattr(engine.store.manifest().get(str(note)), "chunk_count", 0) == 1
            and "balloon" in engine.search("balloon over desert", 1).results[0].snippet
        )
    )

    moved = root / "sub" / "balloon.txt"
    moved.parent.mkdir()
    note.rename(moved)
    wait_for(lambda: set(engine.store.manifest()) == {str(moved)})

    moved.unlink()
    wait_for(lambda: engine.store.manifest() == {})
    assert engine.store.doctor().ok


def test_burst_is_coalesced(watched: tuple[Engine, Path, list[set[str]]]) -> None:
    engine, root, batches = watched
    for i in range(200):
        (root / f"f{i:03d}.txt").write_text(f"file number {i} about the burst test\n")
    wait_for(lambda: len(engine.store.manifest()) == 200, timeout=120)
    assert len(batches) <= 5  # 200 files, a handful of batches, not 200 runs


def test_save_via_rename_is_one_change(watched: tuple[Engine, Path, list[set[str]]]) -> None:
    engine, root, batches = watched
    target = root / "doc.txt"
    target.write_text("first version about owls\n")
    wait_for(lambda: str(target) in engine.store.manifest())
    batches.clear()
    temp = root / ".doc.txt.swp"
    temp.write_text("second version about herons\n")
    temp.replace(target)
    wait_for(lambda: "herons" in engine.search("herons", 1).results[0].snippet)
    assert len(batches) == 1
    assert set(engine.store.manifest()) == {str(target)}


def test_disappearing_folder_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "gone"
    root.mkdir()
    problems: list[tuple[str, str]] = []
    seen = threading.Event()

    def on_problem(path: str, message: str) -> None:
        problems.append((path, message))
        seen.set()

    watcher = FolderWatcher([str(root)], lambda paths: None, on_problem=on_problem)
    watcher.start()
    try:
        root.rmdir()
        assert seen.wait(TIMEOUT_S)
        assert problems[0] == (str(root), "watched folder disappeared")
    finally:
        watcher.stop()


def test_polling_fallback(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "polled"
    root.mkdir()
    engine.add_folders([root])
    watcher = FolderWatcher(
        [str(root)],
        lambda p: engine.run_plan(engine.plan_paths(p)),
        debounce_s=0.2,
        force_polling=True,
    )
    watcher.start()
    try:
        assert watcher.polling
        (root / "p.txt").write_text("polling finds the giraffe\n")
        wait_for(lambda: str(root / "p.txt") in engine.store.manifest())
    finally:
        watcher.stop()
