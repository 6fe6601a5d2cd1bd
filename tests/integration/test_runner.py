"""The engine's runner: one job thread, its own watcher, and typed events (no Qt involved)."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from desktop_app.engine import events
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.runner import EngineRunner
from desktop_app.engine.service import Engine
from desktop_app.engine.store import StoreError
from desktop_app.settings import Settings
from tests.helpers.scans import scanned_image

WAIT_S = 120.0
E = TypeVar("E")


class Recorder:
    """Collects the runner's events (from its threads) for the test thread to wait on."""

    def __init__(self) -> None:
        self.events: queue.Queue[events.EngineEvent] = queue.Queue()
        self.seen: list[events.EngineEvent] = []

    def __call__(self, event: events.EngineEvent) -> None:
        self.events.put(event)

    def wait(self, kind: type[E], where: Callable[[E], bool] = lambda _: True) -> E:
        """The next event of ``kind`` that satisfies ``where`` (earlier ones are kept in seen)."""
        deadline = time.monotonic() + WAIT_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(event)
            if isinstance(event, kind) and where(event):
                return event
        raise AssertionError(f"no {kind.__name__} in {WAIT_S} s; saw {self.seen}")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "harbour.txt").write_text("The harbour master logs every ship that docks.\n")
    (root / "orchard.txt").write_text("Apple trees in the orchard bloom in April.\n")
    return root


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runner(recorder: Recorder, default_model: InstalledModel) -> Iterator[EngineRunner]:
    settings = Settings.load()
    settings.set("watch_debounce_s", 0.2)
    settings.save()
    runner = EngineRunner(
        recorder, lambda: Engine(Settings.load(), model=default_model), memory_interval_s=0.05
    )
    yield runner
    runner.shutdown()


def test_a_folder_is_indexed_watched_and_searchable(
    runner: EngineRunner, recorder: Recorder, docs: Path
) -> None:
    runner.start()
    started = recorder.wait(events.EngineStarted)
    assert started.model.id == "all-MiniLM-L6-v2" and started.model.dimension == 384
    runner.add_folder(str(docs))
    first = recorder.wait(events.IndexFinished).summary
    assert (first.indexed, first.failed) == (2, 0)
    status = recorder.wait(events.StatusChanged, lambda e: e.status.files.indexed == 2).status
    assert [f.path for f in status.folders] == [str(docs)] and status.folders[0].indexed == 2
    assert runner.status == status and not runner.indexing

    # A file saved into the folder: the runner's own watcher hands it to the job thread.
    (docs / "comet.txt").write_text("A comet's tail always points away from the sun.\n")
    change = recorder.wait(events.IndexFinished, lambda e: e.summary.indexed == 1).summary
    assert (change.failed, change.embedded) == (0, 1)  # the new file alone is embedded
    request = runner.searches.search("which way does a comet's tail point")
    done = recorder.wait(events.SearchDone, lambda e: e.request_id == request)
    assert done.response.results[0].path == str(docs / "comet.txt")
    memory = recorder.wait(events.MemorySampled).memory
    assert memory.rss > 0 and memory.budget > 0 and memory.model_bytes == started.model.size


def test_the_catch_up_run_at_start_reports_the_counts_it_changed(
    runner: EngineRunner, recorder: Recorder, docs: Path
) -> None:
    settings = Settings.load()
    settings.set("folders", [str(docs)])  # indexed while the app was closed: caught up at start
    settings.save()
    runner.start()
    assert recorder.wait(events.IndexFinished).summary.indexed == 2
    after = recorder.wait(events.StatusChanged).status  # the first status after the run
    assert after.files.indexed == 2 and after.folders[0].indexed == 2
    assert after.folders[0].pending == 0


def test_commands_run_in_order_and_a_failure_stops_none_after_it(
    runner: EngineRunner, recorder: Recorder, docs: Path, tmp_path: Path
) -> None:
    runner.start()
    runner.add_folder(str(tmp_path / "nowhere"))
    runner.apply_settings({"watch_debounce_s": -5, "threads": 1})
    runner.add_folder(str(docs))
    failed = recorder.wait(events.CommandFailed)
    assert "nowhere: no such folder" in failed.message and not failed.damaged
    refused = recorder.wait(events.CommandFailed)
    assert refused.message.startswith("Some settings were not changed: watch_debounce_s")
    assert recorder.wait(events.IndexFinished).summary.indexed == 2
    kinds = [type(e) for e in recorder.seen]
    assert kinds.index(events.EngineStarted) < kinds.index(events.CommandFailed)
    assert runner.engine is not None and runner.engine.settings["threads"] == 1  # the valid one


def test_changing_the_ocr_languages_reads_the_scanned_files_again(
    runner: EngineRunner, recorder: Recorder, docs: Path
) -> None:
    """Through the runner, as the settings dialog does it: the picture OCR read is read
    again in the new languages; the text files are not."""
    scanned_image(docs / "receipt.png", ["Receipt for a brass barometer"])
    runner.start()
    runner.add_folder(str(docs))
    assert recorder.wait(events.IndexFinished).summary.indexed == 3
    runner.apply_settings({"ocr_languages": ["en", "zh"]})
    again = recorder.wait(events.IndexFinished).summary
    assert (again.indexed, again.failed) == (1, 0)
    assert runner.engine is not None
    assert runner.engine.settings["ocr_languages"] == ["en", "zh"]


def test_an_engine_that_cannot_start_says_why_and_commands_wait_for_a_repair(
    recorder: Recorder,
) -> None:
    def damaged() -> Engine:
        raise StoreError("the index is damaged: file chunks.lance is missing")

    runner = EngineRunner(recorder, damaged, memory_interval_s=None)
    try:
        runner.start()
        failed = recorder.wait(events.EngineFailed)
        assert failed.damaged and "chunks.lance is missing" in failed.message
        runner.add_folder("/anywhere")
        refused = recorder.wait(events.CommandFailed)
        assert "not running; repair the index first" in refused.message
        runner.list_models()  # needs no engine
        rows = recorder.wait(events.ModelsListed).rows
        assert any(row.id == "all-MiniLM-L6-v2" and row.installed for row in rows)
        assert not any(row.current for row in rows)
    finally:
        runner.shutdown()
    assert not runner.alive_threads()


def test_shutdown_stops_every_thread_then_closes_the_engine(
    runner: EngineRunner, recorder: Recorder
) -> None:
    runner.start()
    recorder.wait(events.EngineStarted)
    engine = runner.engine
    assert engine is not None and engine._query_embedder is not None
    runner.shutdown()
    assert not runner.alive_threads()
    assert engine._index_embedder is None and engine._query_embedder is None
    runner.shutdown()  # a second call does nothing
