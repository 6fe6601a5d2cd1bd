"""Memory at rest: after a quiet period the engine lets go of what only indexing uses.

Real engine, real model, real extraction workers and fork server; the idle period is set
small (``idle_unload_s``). What is checked is *what* is loaded and which processes live, never
how much memory they take (that is ``tests/benchmarks/bench_idle.py``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil

from desktop_app.engine.extract_pool import ExtractPool, fork_server_pid, stop_fork_server
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.scanner import stat_file
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from tests.integration.conftest import hit_paths

WAIT_S = 60.0


def _children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def _helpers() -> list[str]:
    """multiprocessing's helper processes among our children (fork server, resource tracker)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        found += [name for name in ("forkserver", "resource_tracker") if name in command]
    return found


def _wait_for(condition: object, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


def _write_notes(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "volcano.txt").write_text("Lava flows down the volcano after the eruption.\n")
    (folder / "bread.txt").write_text("Knead the dough and let the bread rise overnight.\n")
    (folder / "comet.txt").write_text("A comet's tail points away from the sun.\n")


def test_idle_unloads_the_indexing_context_and_the_fork_server_and_both_come_back(
    default_model: InstalledModel, tmp_path: Path
) -> None:
    settings = Settings.load()
    settings.set("idle_unload_s", 3600.0)  # not before the test has looked at the processes
    engine = Engine(settings, model=default_model)
    try:
        docs = tmp_path / "docs"
        _write_notes(docs)
        engine.add_folders([docs])
        assert engine.index().indexed == 3
        first_server = fork_server_pid()
        assert first_server is not None and first_server in _children()

        settings.set("idle_unload_s", 0.3)
        assert hit_paths(engine, "bread dough rising")[0] == str(docs / "bread.txt")
        _wait_for(
            lambda: engine._index_embedder is None and not _helpers(),
            "the idle release (context, fork server, the resource tracker it started)",
        )
        assert engine._query_embedder is None
        assert fork_server_pid() is None
        assert first_server not in _children()  # the process is gone, not just forgotten
        assert hit_paths(engine, "comet tail and the sun")[0] == str(docs / "comet.txt")
        assert engine._query_embedder is not None  # the search loaded it again

        settings.set("idle_unload_s", 3600.0)
        (docs / "tides.txt").write_text("The moon's pull raises the ocean tides twice a day.\n")
        summary = engine.index()
        assert (summary.indexed, summary.failed) == (1, 0)
        assert engine._index_embedder is not None
        second_server = fork_server_pid()
        assert second_server is not None and second_server != first_server
        assert second_server in _children()
        assert sorted(_helpers()) == ["forkserver", "resource_tracker"]
        assert hit_paths(engine, "ocean tides and the moon")[0] == str(docs / "tides.txt")

        settings.set("idle_unload_s", 0.3)
        engine.similar(str(docs / "tides.txt"))  # activity: the wait starts again, short
        _wait_for(lambda: not _helpers(), "the second idle release")
        assert fork_server_pid() is None
        assert second_server not in _children()
        assert engine._index_embedder is None and engine._query_embedder is None
    finally:
        engine.close()


def test_a_release_during_a_run_leaves_the_run_alone(engine: Engine, tmp_path: Path) -> None:
    """The run holds the indexing context and workers forked from the server: neither goes."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"n{i:02d}.txt").write_text(f"Note {i} about the number {i * 7}.\n")
    engine.add_folders([docs])
    engine.index_embedder  # noqa: B018  (load the model before the run starts)
    results = []
    runner = threading.Thread(target=lambda: results.append(engine.index()))
    runner.start()
    try:
        _wait_for(lambda: engine._pipeline is not None, "the run to start")
        engine.pause()
        _wait_for(lambda: fork_server_pid() is not None, "the workers")
        assert engine.release_idle() == []  # not idle: nothing, not even a trim
        assert engine._index_embedder is not None
        assert fork_server_pid() is not None
    finally:
        engine.resume()
        runner.join(WAIT_S)
    assert results and (results[0].indexed, results[0].failed) == (40, 0)
    assert engine.release_idle() == ["indexing context", "extraction fork server", "free heap"]


def test_the_fork_server_is_kept_while_a_pool_has_workers(tmp_path: Path) -> None:
    """The guard around multiprocessing's private ``ForkServer._stop``: never under a pool."""
    note = tmp_path / "a.txt"
    note.write_text("A short note.\n")
    info = stat_file(str(note))
    assert info is not None
    pool = ExtractPool(workers=1)
    try:
        assert [r.reason for r in pool.run([info])] == [""]
        assert fork_server_pid() is not None
        assert stop_fork_server() is False  # the pool's worker is alive
        assert fork_server_pid() is not None
    finally:
        pool.close()
    assert stop_fork_server() is True
    assert fork_server_pid() is None
    assert stop_fork_server() is False  # nothing left to stop
    with ExtractPool(workers=1) as again:  # the next pool starts a server again
        assert [r.document is not None for r in again.run([info])] == [True]


def test_a_search_in_flight_keeps_the_query_context(engine: Engine, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _write_notes(docs)
    engine.add_folders([docs])
    engine.index()
    engine.query_embedder  # noqa: B018
    with engine._idle.busy():  # what Engine.search holds while it runs
        assert "query context" not in engine.release_idle()
        assert engine._query_embedder is not None
    assert "query context" in engine.release_idle()


def test_searches_racing_releases_all_succeed(engine: Engine, tmp_path: Path) -> None:
    """A release never closes a context under a search (a closed one would raise)."""
    docs = tmp_path / "docs"
    _write_notes(docs)
    engine.add_folders([docs])
    engine.index()
    expected = str(docs / "volcano.txt")
    tops: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        try:
            for _ in range(15):
                tops.append(hit_paths(engine, "lava and an eruption", limit=1)[0])
                time.sleep(0.1)  # a gap for a release to land in
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    searcher = threading.Thread(target=search)
    searcher.start()
    released = 0
    while not done.is_set():
        released += "query context" in engine.release_idle()
    searcher.join()
    assert errors == []
    assert tops == [expected] * 15
    assert released > 0  # the race was run: contexts did go between searches
