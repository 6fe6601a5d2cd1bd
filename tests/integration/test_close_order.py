"""Closing the embedder and stopping the watcher wait for the threads that use them.

Both used to let go early: ``Embedder.close`` freed the llama.cpp model while another thread
could be tokenizing (tokenization runs outside the decode lock), and ``FolderWatcher.stop``
gave up on its threads after 5 s, leaving them to call back into an owner that was closing
(and to run, as daemons, while the interpreter finalized). Either can abort a quit.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop_app.engine.embedder import Embedder
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.watcher import FolderWatcher

WAIT_S = 30.0
#: Where stop() used to give up on each of its threads.
GAVE_UP_AFTER_S = 5.0


def test_close_waits_for_tokenizers_and_later_calls_fail_cleanly(
    default_model: InstalledModel,
) -> None:
    embedder = Embedder(default_model, threads=1)
    text = "harbours and cedar wood " * 40
    counted: list[int] = []
    errors: list[BaseException] = []
    running = threading.Event()

    def tokenize_until_closed() -> None:
        try:
            while True:
                counted.append(embedder.count_tokens(text))
                running.set()
        except RuntimeError as exc:  # the one error a closed embedder gives
            errors.append(exc)

    workers = [threading.Thread(target=tokenize_until_closed) for _ in range(3)]
    for worker in workers:
        worker.start()
    assert running.wait(WAIT_S)
    embedder.close()  # while three threads tokenize: none touches the freed model
    for worker in workers:
        worker.join(WAIT_S)
    assert not any(w.is_alive() for w in workers)
    assert [str(e) for e in errors] == ["the embedder is closed"] * 3
    assert set(counted) == {counted[0]} and counted[0] > 100
    with pytest.raises(RuntimeError, match="closed"):
        embedder.embed_query("anything")
    embedder.close()  # idempotent


def test_stop_waits_for_a_delivery_in_progress(tmp_path: Path) -> None:
    root = tmp_path / "watched"
    root.mkdir()
    delivering = threading.Event()
    release = threading.Event()
    delivered: list[set[str]] = []

    def slow_owner(paths: set[str]) -> None:  # an owner still busy with the changes
        delivering.set()
        assert release.wait(WAIT_S)
        delivered.append(paths)

    watcher = FolderWatcher([str(root)], slow_owner, debounce_s=0.05)
    watcher.start()
    (root / "new.txt").write_text("a change\n")
    assert delivering.wait(WAIT_S)
    stopping = threading.Thread(target=watcher.stop)
    stopping.start()
    stopping.join(GAVE_UP_AFTER_S + 1)
    assert stopping.is_alive()  # still waiting for the callback, not given up on
    release.set()
    stopping.join(WAIT_S)
    assert not stopping.is_alive()
    assert delivered and str(root / "new.txt") in delivered[0]
    assert watcher._thread is not None and not watcher._thread.is_alive()
    assert not watcher._observer.is_alive()
