"""The OCR cache, the page loop's limits and the image extractor, without the OCR model.

``recognize`` is replaced by a fake that answers "page text <n>" and counts its calls, so
these tests run in milliseconds and say exactly which pages were recognised. The real model
is exercised in tests/integration/test_ocr.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from desktop_app.engine.extract import ExtractionError, OcrOptions, extract
from desktop_app.engine.extract.base import OCR_SECTION, Limits
from desktop_app.engine.extract_pool import PRELOAD, ExtractPool
from desktop_app.engine.ocr import Line, cache, page_text
from desktop_app.engine.ocr import pages as ocr_pages
from desktop_app.engine.scanner import FileInfo
from tests.helpers.scans import page_picture, scanned_pdf

HASH = "0123456789abcdef" * 4


class FakeOcr:
    """Stands in for the model: every picture reads as "page text <n>", n counting calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.0) -> None:
        self.calls: list[tuple[int, int]] = []
        self.seconds = seconds
        monkeypatch.setattr(ocr_pages, "recognize", self.recognize)
        monkeypatch.setattr(ocr_pages, "engine_id", lambda languages: "fake 1")
        self.clock = 0.0
        monkeypatch.setattr(ocr_pages, "clock", lambda: self.clock)

    def recognize(self, image: Image.Image, languages: tuple[str, ...]) -> list[Line]:
        self.calls.append(image.size)
        self.clock += self.seconds
        return [Line(f"page text {len(self.calls)}", 0.99, 0, 0, 100, 20)]


def options(tmp_path: Path, **changes: Any) -> OcrOptions:
    return OcrOptions(cache_dir=str(tmp_path / "ocr"), **changes)


def test_cache_round_trip_and_misses(tmp_path: Path) -> None:
    cache.save(tmp_path, HASH, "engine 1", {2: "two", 1: "one"})
    entry = cache.entry_path(tmp_path, HASH)
    assert entry is not None and entry.parent.name == HASH[:2]
    assert cache.load(tmp_path, HASH, "engine 1") == {1: "one", 2: "two"}
    assert cache.load(tmp_path, HASH, "engine 2") == {}  # another engine reads again
    assert cache.load(tmp_path, "f" * 64, "engine 1") == {}
    assert cache.load(None, HASH, "engine 1") == {}
    assert cache.entry_path(tmp_path, "../../etc/passwd") is None  # never a path from a hash
    entry.write_text("{not json")
    assert cache.load(tmp_path, HASH, "engine 1") == {}
    entry.write_text(json.dumps({"version": 99, "engine": "engine 1", "pages": {"1": "x"}}))
    assert cache.load(tmp_path, HASH, "engine 1") == {}
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temp file left


def test_a_picture_is_read_once_then_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOcr(monkeypatch)
    picture = tmp_path / "note.png"
    page_picture(["x"], size=(300, 200)).save(picture)
    ocr = options(tmp_path)
    document = extract(picture, ocr=ocr, content_hash=HASH)
    assert document.text == "page text 1"
    assert document.file_type == "image"
    assert [(s.page, s.section) for s in document.segments] == [(None, OCR_SECTION)]
    again = extract(tmp_path / "note.png", ocr=ocr, content_hash=HASH)
    assert again.text == "page text 1" and len(fake.calls) == 1
    extract(picture, ocr=ocr)  # no hash known: read, but nothing cached under ""
    assert len(fake.calls) == 2


def test_ocr_off_or_excluded_folder_reads_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOcr(monkeypatch)
    folder = tmp_path / "private"
    folder.mkdir()
    picture = folder / "id card.png"
    page_picture(["x"], size=(300, 200)).save(picture)
    for ocr in (
        options(tmp_path, enabled=False),
        options(tmp_path, excluded_folders=(str(folder),)),
    ):
        with pytest.raises(ExtractionError) as caught:
            extract(picture, ocr=ocr, content_hash=HASH)
        assert caught.value.reason == "unsupported"
    assert options(tmp_path, excluded_folders=(str(folder),)).applies_to(
        str(tmp_path / "privateer")
    )
    assert fake.calls == []


def test_multi_page_tiff_keeps_page_numbers_and_gif_its_first_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOcr(monkeypatch)
    frames = [page_picture([str(n)], size=(200 + n, 100)) for n in range(3)]
    frames[0].save(tmp_path / "fax.tiff", save_all=True, append_images=frames[1:])
    document = extract(tmp_path / "fax.tiff", ocr=options(tmp_path))
    assert [s.page for s in document.segments] == [1, 2, 3]
    assert fake.calls == [(200, 100), (201, 100), (202, 100)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    extract(tmp_path / "anim.gif", ocr=options(tmp_path))
    assert fake.calls[-1] == (200, 100) and len(fake.calls) == 4


def test_page_limit_and_time_budget_leave_pages_out_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOcr(monkeypatch, seconds=5.0)
    pdf = scanned_pdf(tmp_path / "scan.pdf", [["a"], ["b"], ["c"], ["d"]], size=(300, 200))
    document = extract(pdf, ocr=options(tmp_path, max_pages=2), content_hash=HASH)
    assert [s.page for s in document.segments] == [1, 2]
    assert [(p.page, p.reason) for p in document.page_problems] == [
        (3, "too_large"),
        (4, "too_large"),
    ]
    # 5 s a page against a 4 s limit: the first page is read (its cost is unknown before),
    # then the file's budget (pages read x limit) is spent and the rest are left out.
    document = extract(pdf, ocr=options(tmp_path, page_timeout_s=4.0), content_hash="ab" * 32)
    assert [s.page for s in document.segments] == [1]
    assert {p.reason for p in document.page_problems} == {"timeout"}
    assert len(fake.calls) == 3


def test_a_bad_page_is_a_problem_and_the_file_still_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeOcr(monkeypatch)
    reader = ocr_pages.PageReader(Limits(ocr=options(tmp_path), content_hash=HASH))
    assert reader.read(1, lambda: page_picture(["x"], size=(100, 50))) == "page text 1"

    def broken() -> Image.Image:
        raise OSError("image file is truncated")

    def huge() -> Image.Image:
        ocr_pages.check_pixels(50_000, 50_000)
        raise AssertionError("not reached")

    assert reader.read(2, broken) == ""
    assert reader.read(3, huge) == ""
    assert [(p.page, p.reason) for p in reader.problems] == [(2, "unreadable"), (3, "too_large")]
    reader.finish()
    assert cache.load(tmp_path / "ocr", HASH, "fake 1") == {1: "page text 1"}  # failures not kept


def test_a_broken_picture_fails_as_corrupt(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ExtractionError) as caught:
        extract(bad, ocr=options(tmp_path))
    assert caught.value.reason == "corrupt"


def test_a_text_pdf_is_not_ocr_d(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.corpus import pdf_bytes

    fake = FakeOcr(monkeypatch)
    (tmp_path / "text.pdf").write_bytes(pdf_bytes())
    extract(tmp_path / "text.pdf", ocr=options(tmp_path))
    assert fake.calls == []


def test_reading_order_is_rows_then_left_to_right() -> None:
    lines = [
        Line("right", 0.9, 300, 10, 400, 30),
        Line("second row", 0.9, 0, 50, 200, 70),
        Line("left", 0.9, 0, 12, 100, 32),
    ]
    assert page_text(lines) == "left right\nsecond row"


def test_a_skewed_page_keeps_a_paragraphs_short_last_line_in_place() -> None:
    """A page 1.5 degrees askew, lines 60 px apart: a long line's right end is 65 px lower
    than its start, so its upright box runs from y 40 to 135, and the box's centre (87) is
    within half that box (47) of the short line's (120): by their boxes the two lines were
    one row. By where the lines start (55 and 115) they are a row apart."""
    lines = [
        Line("a long line of the paragraph", 0.9, 100, 40, 2580, 135, 40, 70),
        Line("short last line.", 0.9, 100, 100, 700, 140, 100, 130),
        Line("Next paragraph, a long line", 0.9, 100, 160, 2580, 255, 160, 190),
    ]
    assert page_text(lines).splitlines() == [
        "a long line of the paragraph",
        "short last line.",
        "Next paragraph, a long line",
    ]


def test_pictures_go_after_text_files(tmp_path: Path) -> None:
    names = ["a.png", "b.txt", "c.jpg", "d.md"]
    for name in names:
        (tmp_path / name).write_text("words")
    infos = [FileInfo(str(tmp_path / n), 5, 0) for n in names]
    with ExtractPool(workers=1) as pool:  # OCR off: the pictures come back unsupported
        order = [Path(r.info.path).name for r in pool.run(infos)]
    assert order == ["b.txt", "d.md", "a.png", "c.jpg"]


def test_text_extraction_never_loads_the_ocr_stack(tmp_path: Path) -> None:
    """A text-only folder costs nothing more: no OCR module in the worker, nor preloaded."""
    from tests.helpers.corpus import pdf_bytes

    (tmp_path / "a.pdf").write_bytes(pdf_bytes())
    (tmp_path / "b.txt").write_text("plain words")
    heavy = ["onnxruntime", "rapidocr", "cv2", "desktop_app.engine.ocr", "PIL"]
    assert not set(PRELOAD) & set(heavy)  # the fork server preloads none of it
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop_app.engine.extract import OcrOptions, extract\n"
        f"for name in ('a.pdf', 'b.txt'):\n"
        f"    extract(Path({str(tmp_path)!r}) / name, ocr=OcrOptions())\n"
        f"print([m for m in {heavy!r} if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_one_page_is_recognised_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another worker holding the OCR lock makes this one wait (the detector's peak memory)."""
    import fcntl
    import threading

    FakeOcr(monkeypatch)
    ocr = options(tmp_path)
    reader = ocr_pages.PageReader(Limits(ocr=ocr, content_hash=HASH))
    assert ocr.cache_dir is not None
    Path(ocr.cache_dir).mkdir(parents=True)
    held = os.open(Path(ocr.cache_dir) / ".ocr.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    texts: list[str] = []
    worker = threading.Thread(
        target=lambda: texts.append(reader.read(1, lambda: page_picture([], size=(50, 50))))
    )
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and texts == []
    os.close(held)
    worker.join(5)
    assert texts == ["page text 1"]


def test_prune_keeps_only_the_hashes_still_indexed(tmp_path: Path) -> None:
    other = "fedcba9876543210" * 4
    cache.save(tmp_path, HASH, "e", {1: "a"})
    cache.save(tmp_path, other, "e", {1: "b"})
    assert cache.prune(tmp_path, {HASH}) == 1
    assert cache.load(tmp_path, HASH, "e") == {1: "a"} and cache.load(tmp_path, other, "e") == {}
    assert cache.prune(tmp_path / "missing", set()) == 0


def test_prune_spares_entries_younger_than_the_grace_period(tmp_path: Path) -> None:
    """A folder removed and added back within the grace period is not read again."""
    old, recent = "fedcba9876543210" * 4, "00112233445566778899aabbccddeeff"
    cache.save(tmp_path, old, "e", {1: "a"})
    cache.save(tmp_path, recent, "e", {1: "b"})
    month_ago = time.time() - 31 * 24 * 3600
    entry = cache.entry_path(tmp_path, old)
    assert entry is not None
    os.utime(entry, (month_ago, month_ago))
    assert cache.hashes(tmp_path) == {old, recent}
    assert cache.prune(tmp_path, set(), older_than_s=30 * 24 * 3600) == 1
    assert cache.hashes(tmp_path) == {recent}


def test_a_sideways_phone_photo_is_turned_upright(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeOcr(monkeypatch)
    photo = page_picture(["x"], size=(300, 200))
    exif = photo.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to view
    photo.save(tmp_path / "photo.jpg", exif=exif)
    extract(tmp_path / "photo.jpg", ocr=options(tmp_path))
    assert fake.calls == [(200, 300)]
