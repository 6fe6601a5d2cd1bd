"""Pipeline control and the extraction pool: progress, pause/resume, cancel, time limits."""

from __future__ import annotations

import importlib
import threading
import time
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.engine.extract_pool import PRELOAD, ExtractPool
from desktop_app.engine.pipeline import Progress
from desktop_app.engine.scanner import stat_file
from desktop_app.engine.service import PACE_FILE, Engine
from tests.helpers.fakes import FakePsutil


def make_notes(root: Path, count: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (root / f"n{i:03d}.txt").write_text(f"Note {i} on the topic of number {i * 7}.\n")


def test_progress_events(engine: Engine, tmp_path: Path) -> None:
    make_notes(tmp_path / "docs", 80)
    engine.add_folders([tmp_path / "docs"])
    events: list[Progress] = []
    engine.index(progress=lambda p: events.append(Progress(**p.__dict__)))
    assert events[-1].files_done == events[-1].files_total == 80
    assert [e.files_done for e in events] == sorted(e.files_done for e in events)
    assert any(e.chunks_per_s > 0 for e in events)
    assert any(e.eta_s is not None and e.eta_s > 0 for e in events[:-1])
    assert all(e.current_file.endswith(".txt") for e in events)


def test_the_first_eta_starts_from_the_pace_of_the_previous_run(
    engine: Engine, tmp_path: Path
) -> None:
    pace = paths.cache_dir() / PACE_FILE
    pace.parent.mkdir(parents=True, exist_ok=True)
    pace.write_text('{"files_per_s": 0.5}')  # a slow machine, as the last run measured it
    make_notes(tmp_path / "docs", 80)
    engine.add_folders([tmp_path / "docs"])
    events: list[Progress] = []
    engine.index(progress=lambda p: events.append(Progress(**p.__dict__)))
    first = next(e for e in events if e.eta_s is not None)
    assert first.files_done < first.files_total
    assert first.eta_s == pytest.approx((first.files_total - first.files_done) / 0.5)


def test_pause_resume_and_cancel(engine: Engine, tmp_path: Path) -> None:
    make_notes(tmp_path / "docs", 60)
    engine.add_folders([tmp_path / "docs"])
    paused_seen = threading.Event()
    done_at_pause: list[int] = []

    def progress(p: Progress) -> None:
        if p.paused and not paused_seen.is_set():
            done_at_pause.append(p.files_done)
            paused_seen.set()

    results = []
    runner = threading.Thread(target=lambda: results.append(engine.index(progress=progress)))
    engine.index_embedder  # load the model before the run starts  # noqa: B018
    runner.start()
    while engine._pipeline is None:
        time.sleep(0.01)
    engine.pause()
    assert paused_seen.wait(30)
    time.sleep(0.5)
    assert len(engine.store.manifest()) <= done_at_pause[0]  # nothing moves while paused
    engine.cancel()
    runner.join(30)
    summary = results[0]
    assert summary.cancelled
    assert summary.indexed < 60
    assert engine.store.doctor().ok
    resumed = engine.index()  # picks up exactly what was not committed
    assert resumed.indexed + resumed.unchanged == 60
    assert resumed.unchanged == len(engine.store.manifest()) - resumed.indexed


def test_time_limit_kills_and_replaces_the_worker(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(("lorem ipsum dolor sit amet " * 40 + "\n\n") * 20000)  # ~22 MB
    small = tmp_path / "small.txt"
    small.write_text("small file\n")
    infos = [stat_file(str(big)), stat_file(str(small))]
    with ExtractPool(workers=1, timeout=0.05) as pool:
        results = {r.info.path: r for r in pool.run([i for i in infos if i])}
    assert results[str(big)].reason == "timeout"
    assert results[str(big)].content_hash  # recorded, so it is not retried until it changes
    assert results[str(small)].document is not None  # the replacement worker carried on


def test_workers_are_retired_after_their_share_of_files(tmp_path: Path) -> None:
    """Recycling keeps a worker's heap from ratcheting up; no file is lost on the way."""
    make_notes(tmp_path / "docs", 10)
    infos = [stat_file(str(p)) for p in sorted((tmp_path / "docs").iterdir())]
    processes = {}
    done = []
    with ExtractPool(workers=1, timeout=60, recycle_after=3) as pool:
        for result in pool.run([i for i in infos if i]):
            done.append(result)
            for worker in pool._workers:
                processes[worker.process.pid] = worker.process
    assert sorted(r.info.path for r in done) == sorted(i.path for i in infos if i)
    assert all(r.document is not None and r.document.text for r in done)
    assert len(processes) == 4  # retired after files 3, 6 and 9
    retired = [p for p in processes.values() if p.exitcode is not None]
    assert len(retired) >= 3 and all(p.exitcode == 0 for p in retired)  # left, not killed


def test_the_fork_server_preloads_modules_that_exist() -> None:
    """multiprocessing skips a preload it cannot import: a typo would silently cost memory."""
    for name in PRELOAD:
        importlib.import_module(name)


def test_crashed_worker_is_recorded_as_corrupt(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(("crash test words " * 50 + "\n\n") * 20000)
    info = stat_file(str(big))
    assert info is not None
    with ExtractPool(workers=1, timeout=60) as pool:
        results = pool.run([info])
        killer = threading.Timer(0.05, lambda: pool._workers[0].process.kill())
        killer.start()
        result = next(results)
        killer.join()
    assert (result.reason, result.document) == ("corrupt", None)
    assert "crashed" in result.message


def test_memory_governor_pauses_and_resumes(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app.engine import memory

    fake = FakePsutil()
    monkeypatch.setattr(memory, "psutil", fake)
    monkeypatch.setattr("desktop_app.engine.pipeline.MEMORY_POLL_S", 0.05)
    make_notes(tmp_path / "docs", 40)
    engine.add_folders([tmp_path / "docs"])
    engine.index_embedder  # noqa: B018  (load the model before memory "runs short")
    fake.available = 100 * 1024**2  # below the 512 MB floor: critical
    paused = threading.Event()
    states: list[str] = []

    def progress(p: Progress) -> None:
        states.append(p.memory)
        if p.paused and p.paused_reason == "memory":
            paused.set()

    results = []
    runner = threading.Thread(target=lambda: results.append(engine.index(progress=progress)))
    runner.start()
    assert paused.wait(30)
    time.sleep(0.3)
    assert engine.store.manifest() == {}  # nothing indexed while memory is short
    fake.available = 16 * 1024**3
    runner.join(60)
    assert results[0].indexed == 40 and not results[0].cancelled
    assert "critical" in states and states[-1] == "ok"


def test_pending_counts_per_folder(engine: Engine, tmp_path: Path) -> None:
    make_notes(tmp_path / "docs", 80)
    engine.add_folders([tmp_path / "docs"])
    pending: list[int] = []
    engine.index(progress=lambda p: pending.append(engine.status().folders[0].pending))
    assert pending[0] > 0 and pending == sorted(pending, reverse=True)
    assert engine.status().folders[0].pending == 0


def test_worker_log_records_reach_the_app_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Extractors log in the worker processes; their records are replayed in the app, under
    their own logger names (they used to be lost: a worker has no handler)."""
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(1005))
    mail = tmp_path / "many.eml"
    mail.write_text(
        "Subject: parts\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + "--b--\r\n"
    )
    info = stat_file(str(mail))
    assert info is not None
    caplog.set_level("INFO")
    with ExtractPool(workers=1, timeout=60) as pool:
        (result,) = list(pool.run([info]))
    assert result.document is not None
    replayed = [r for r in caplog.records if r.name == "desktop_app.engine.extract.mail"]
    assert [r.levelname for r in replayed] == ["INFO"]
    assert "more than 1000 MIME parts" in replayed[0].getMessage()
