"""``desktop-search watch``: the engine's runner indexes, then follows changes until Ctrl+C."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from desktop_app.cli import main
from desktop_app.engine.models import InstalledModel
from desktop_app.settings import Settings

WAIT_S = 120.0


class Lines(queue.Queue[str]):
    """A stream's lines, read on a thread, so the test can wait for one with a time limit."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.put(line)


def wait_for(lines: Lines, text: str) -> str:
    deadline = time.monotonic() + WAIT_S
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} in {WAIT_S} s; got {seen}")


def test_watch_indexes_then_follows_a_saved_file_until_interrupted(
    tmp_path: Path, default_model: InstalledModel, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.txt").write_text("The harbour master logs every ship that docks.\n")
    assert main(["folders", "add", str(docs)]) == 0
    settings = Settings.load()
    settings.set("watch_debounce_s", 0.2)
    settings.save()
    with subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watch:
        assert watch.stdout is not None and watch.stderr is not None
        out, err = Lines(watch.stdout), Lines(watch.stderr)
        try:
            assert "watching 1 folders" in wait_for(err, "watching")
            assert wait_for(out, "indexed ").startswith("indexed 1, unchanged 0, failed 0")
            (docs / "comet.txt").write_text("A comet's tail always points away from the sun.\n")
            assert wait_for(out, "indexed ").startswith("indexed 1, unchanged 1, failed 0")
            watch.send_signal(signal.SIGINT)
            assert watch.wait(WAIT_S) == 130
        finally:
            if watch.poll() is None:
                watch.kill()
            watch.wait()
            out.reader.join()  # at the end of the output: then the pipes may close
            err.reader.join()
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["files"]["indexed"] == 2 and status["folders"][0]["indexed"] == 2


def test_watch_without_folders_says_how_to_add_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch"]) == 1
    assert "no folders to watch; add some with" in capsys.readouterr().err
