"""OCR as the run's gentle phase: a pause reaches a worker in the middle of a scan, the run
counts scanned pages for the progress line, and the workers give way to the app's searches.

Real engine, real RapidOCR, real extraction workers. The workers' ``ocr: page N of FILE``
lines are replayed in this process with the time the worker logged them, so a test can tell
when each page was started.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import psutil
import pytest

from desktop_app.cli.output import ProgressPrinter
from desktop_app.engine.pipeline import Progress
from desktop_app.engine.service import Engine
from tests.helpers.fakes import FakePsutil
from tests.helpers.scans import scanned_pdf

#: Enough pages that a pause asked at page 2 lands mid-file: with two OCR threads a page of
#: two lines takes about 0.2 s here.
PAGES = 8
PAUSE_S = 5.0
#: Shorter than the pause: a paused worker must not be killed by the pool's time limit.
TIME_LIMIT_S = 4.0


def make_scan(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "note.txt").write_text("A plain note about the walrus census in the harbour.\n")
    return scanned_pdf(
        root / "census.pdf",
        [[f"Page {n} of the walrus census", "counted at low tide"] for n in range(1, PAGES + 1)],
        size=(900, 500),
    )


def page_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("ocr: page")]


def worker_nice_values() -> list[int]:
    """The niceness of this process's descendants (the fork server and its workers)."""
    values = []
    for child in psutil.Process().children(recursive=True):
        try:
            values.append(child.nice())
        except psutil.Error:
            continue
    return values


@pytest.mark.parametrize("by", ["user", "memory"])
def test_a_pause_stops_ocr_in_the_middle_of_a_scan_until_resume(
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    by: str,
) -> None:
    from desktop_app.engine import memory

    fake = FakePsutil()
    monkeypatch.setattr(memory, "psutil", fake)
    monkeypatch.setattr("desktop_app.engine.pipeline.MEMORY_POLL_S", 0.05)
    caplog.set_level(logging.INFO)
    pdf = make_scan(tmp_path / "docs")
    engine.settings.set("extract_timeout_s", TIME_LIMIT_S)
    engine.add_folders([tmp_path / "docs"])
    engine.index_embedder  # noqa: B018  (load the model before memory "runs short")
    reports: list[Progress] = []
    asked: list[float] = []
    window: list[float] = []  # [the run said "paused" at, resumed at]

    def resume() -> None:
        window.append(time.time())
        if by == "user":
            engine.resume()
        else:
            fake.available = 16 * 1024**3

    def progress(p: Progress) -> None:
        reports.append(Progress(**p.__dict__))
        if not asked and p.ocr_pages_done >= 1:  # page 2 (or later) is being read now
            asked.append(time.time())
            if by == "user":
                engine.pause()
            else:
                fake.available = 100 * 1024**2  # below the 512 MB floor: critical
        if asked and not window and p.paused:  # the pool is paused by now
            assert (p.paused_reason, p.ocr_file) == (by, str(pdf))
            window.append(time.time())
            threading.Timer(PAUSE_S, resume).start()

    summary = engine.index(progress=progress)
    assert (summary.indexed, summary.failed) == (2, 0), summary.errors
    assert len(window) == 2, "the run ended before it was paused"
    paused_at, resumed_at = window
    lines = page_lines(caplog)
    assert len(lines) == PAGES  # every page read once: the paused worker was not killed
    during = [r.getMessage() for r in lines if paused_at + 0.3 < r.created < resumed_at]
    assert during == []  # no page started while paused
    assert [r for r in lines if r.created >= resumed_at]  # the scan was paused mid-file
    assert str(pdf) in {h.path for h in engine.search('"walrus census"').results}


def test_progress_counts_the_scanned_pages_and_the_workers_run_below_the_app(
    engine: Engine, tmp_path: Path
) -> None:
    pdf = make_scan(tmp_path / "docs")
    engine.add_folders([tmp_path / "docs"])
    reports: list[Progress] = []
    nice_during: list[int] = []
    own_nice = psutil.Process().nice()

    def progress(p: Progress) -> None:
        reports.append(Progress(**p.__dict__))
        if p.ocr_pages_done >= 1 and not nice_during:
            nice_during.extend(worker_nice_values())

    engine.index(progress=progress)
    reading = [p for p in reports if p.ocr_file]
    assert reading, "no progress was reported while the scan was read"
    assert {p.ocr_file for p in reading} == {str(pdf)}
    assert {p.ocr_pages_total for p in reading} == {PAGES}  # known from the first page on
    done = [p.ocr_pages_done for p in reading]
    assert done == sorted(done) and len(set(done)) >= 3  # counted page by page, as they go
    last = reports[-1]
    assert (last.ocr_pages_done, last.ocr_pages_total, last.ocr_file) == (PAGES, PAGES, "")
    if hasattr(os, "nice"):
        assert own_nice + 10 in nice_during or 19 in nice_during, nice_during


def test_a_text_only_run_reports_no_ocr_pages(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Nothing scanned here, only typed words.\n")
    engine.add_folders([tmp_path / "docs"])
    reports: list[Progress] = []
    engine.index(progress=lambda p: reports.append(Progress(**p.__dict__)))
    assert reports and all(p.ocr_pages_total == 0 and not p.ocr_file for p in reports)


def test_the_cli_progress_line_names_the_scanned_pages(capsys: pytest.CaptureFixture[str]) -> None:
    printer = ProgressPrinter(interval_s=0.0)
    printer(
        Progress(
            files_total=40,
            files_done=30,
            current_file="/docs/notes.txt",
            ocr_pages_done=12,
            ocr_pages_total=140,
            ocr_file="/docs/receipt.pdf",
        )
    )
    line = capsys.readouterr().err
    assert "scanned pages 12/140" in line and "receipt.pdf" in line and "notes.txt" not in line
    printer(Progress(files_total=40, files_done=31, current_file="/docs/notes.txt"))
    assert "scanned" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("ocr_on", "expected"),
    [
        (True, ["c.txt", "d.md", "a.pdf", "b.png"]),  # text, then PDFs (maybe scans), pictures
        (False, ["a.pdf", "c.txt", "d.md", "b.png"]),  # no OCR: a PDF is a text file
    ],
)
def test_with_ocr_on_pdfs_go_after_text_files_and_pictures_last(
    tmp_path: Path, ocr_on: bool, expected: list[str]
) -> None:
    from desktop_app.engine.extract import OCR_OFF, OcrOptions
    from desktop_app.engine.extract_pool import ExtractPool
    from desktop_app.engine.scanner import FileInfo

    names = ["a.pdf", "b.png", "c.txt", "d.md"]
    for name in names:
        (tmp_path / name).write_text("words")  # not a real PDF or picture: quick failures
    infos = [FileInfo(str(tmp_path / n), 5, 0) for n in names]
    ocr = OcrOptions(cache_dir=str(tmp_path / "ocr")) if ocr_on else OCR_OFF
    with ExtractPool(workers=1, ocr=ocr) as pool:
        order = [Path(r.info.path).name for r in pool.run(infos)]
    assert order == expected
