"""Quitting stops every thread before the engine is closed, whatever the engine is doing.

The bridge used to join its threads with a 30 s timeout and then close the engine regardless,
and a quit while the model was still loading sent a cancel that found no run to cancel: the
start-up catch-up scan then indexed the whole folder while quit waited, and past the timeout
the engine's llama.cpp contexts were freed under the job thread still embedding.
"""

from __future__ import annotations

import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from desktop_app.ui.bridge import EngineBridge
from tests.gui.conftest import WAIT_MS


def test_quit_while_the_model_loads_starts_no_catch_up_run(
    qtbot: QtBot, tmp_path: Path, default_model: InstalledModel
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):
        (docs / f"note{i}.txt").write_text(f"note {i} about harbours and cedar wood\n")
    settings = Settings.load()
    settings.set("folders", [str(docs)])  # the catch-up scan would index these at start
    settings.set("threads", 1)
    settings.save()
    loading = threading.Event()
    release = threading.Event()

    def slow_engine() -> Engine:  # the model load, held open until the quit has begun
        loading.set()
        assert release.wait(WAIT_MS / 1000)
        return Engine(Settings.load(), model=default_model)

    bridge = EngineBridge(slow_engine)
    bridge.start()
    assert loading.wait(WAIT_MS / 1000)
    quitting = threading.Thread(target=bridge.shutdown)
    quitting.start()  # from another thread only so that this test can release the load
    qtbot.waitUntil(bridge.runner.stopping.is_set, timeout=WAIT_MS)
    release.set()
    quitting.join(WAIT_MS / 1000)

    assert not quitting.is_alive()
    assert not bridge.runner.alive_threads()
    engine = bridge.engine
    assert engine is not None  # it finished loading, and was closed
    assert engine._index_embedder is None and engine._query_embedder is None
    # Nothing was indexed: the run that would have been cancelled was never started.
    reopened = Engine(Settings.load(), model=default_model)
    try:
        assert reopened.status().files.indexed == 0
    finally:
        reopened.close()


def test_quit_mid_run_cancels_it_then_closes(
    qtbot: QtBot, tmp_path: Path, default_model: InstalledModel
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(150):
        (docs / f"note{i:03d}.txt").write_text(f"note {i} " + "about harbours and cedar " * 20)
    settings = Settings.load()
    settings.set("threads", 1)
    settings.save()
    bridge = EngineBridge(lambda: Engine(Settings.load(), model=default_model))
    with qtbot.waitSignal(bridge.engine_ready, timeout=WAIT_MS):
        bridge.start()
    summaries: list[object] = []
    bridge.index_finished.connect(summaries.append)
    with qtbot.waitSignal(bridge.progress, timeout=WAIT_MS):
        bridge.runner.add_folder(str(docs))
    bridge.shutdown()

    assert not bridge.runner.alive_threads()
    engine = bridge.engine
    assert engine is not None and engine._index_embedder is None
    qtbot.waitUntil(lambda: bool(summaries), timeout=WAIT_MS)  # queued from the job thread
    summary = summaries[0]
    assert getattr(summary, "cancelled", False)
    bridge.shutdown()  # a second call (run_gui makes one after aboutToQuit's) does nothing
