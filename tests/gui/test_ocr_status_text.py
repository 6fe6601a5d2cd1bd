"""The status line while scanned pages are read: its own count, in pages, with the file."""

from __future__ import annotations

from desktop_app.engine.pipeline import Progress
from desktop_app.ui.status_area import progress_text


def reading(**changes: object) -> Progress:
    fields: dict[str, object] = {
        "files_total": 40,
        "files_done": 30,
        "current_file": "/docs/notes.txt",
        "ocr_pages_done": 12,
        "ocr_pages_total": 140,
        "ocr_file": "/docs/scans/receipt.pdf",
    }
    fields.update(changes)
    return Progress(**fields)  # type: ignore[arg-type]


def test_a_scan_being_read_shows_its_pages_and_its_name() -> None:
    assert progress_text(reading()) == "Reading scanned pages: 12 of 140 · receipt.pdf"


def test_the_total_says_so_far_while_more_scans_may_come() -> None:
    text = progress_text(reading(ocr_more=True, ocr_pages_total=1400))
    assert text == "Reading scanned pages: 12 of 1,400 so far · receipt.pdf"


def test_pause_and_plain_indexing_keep_their_words() -> None:
    assert progress_text(reading(paused=True, paused_reason="user")).startswith(
        "Indexing paused: 30 of 40 files"
    )
    plain = progress_text(reading(ocr_file="", chunks_per_s=0.0))
    assert plain == "Indexing 30 of 40 files · notes.txt"
