"""The page loop shared by image files and scanned PDFs: cache, limits, problems, log.

Each page the extractor cannot get text from otherwise goes through :meth:`PageReader.read`:
the text cached for the file's bytes is used when there is some; otherwise the page is
rendered and recognised, unless the file has used up its page limit or its time budget.
A page that fails (too large, unreadable, out of time) becomes a ``PageProblem`` and the
file's other pages still count. Every recognition is logged as ``ocr: page N of FILE``, which
the pool replays in the app: a run that OCR'd nothing logged no such line.

Before each page it recognises, the reader calls the worker's heartbeat with how many pages
of the file it read before and how many it may read in all (:func:`count_pages`, made once
at the first recognised page): there the worker waits while indexing is paused, and the pool
counts the page for the progress line (``engine/ocr/phase.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.engine.extract.base import Limits, PageProblem, heartbeat
from desktop_app.engine.ocr import cache, engine_id, page_text, recognize
from desktop_app.engine.pathnames import display, os_path

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

#: An image (or a rendered page) above this many pixels is not decoded: about 12,000 x 8,000.
MAX_PIXELS = 100_000_000
#: The page timer (a name of its own so tests can drive it).
clock = time.monotonic
#: Picture formats whose frames are pages (as ``extract/image.py`` reads them).
MULTI_PAGE_FORMATS = frozenset({"TIFF", "MPO"})


def count_pages(path_key: str) -> int:
    """Pages in the file (a PDF's pages, a TIFF's frames, 1 for other pictures); 0 unknown.

    Opened again (lazily: no page is decoded) at a file's first OCR page only, so a run that
    recognises nothing never pays for it; beside a page's seconds of OCR it is nothing.
    """
    if not path_key:
        return 0
    path = os_path(path_key)
    try:
        if str(path).lower().endswith(".pdf"):
            import pypdfium2 as pdfium

            pdf = pdfium.PdfDocument(path)
            try:
                return len(pdf)
            finally:
                pdf.close()
        from PIL import Image as PILImage

        with PILImage.open(path) as picture:
            if picture.format in MULTI_PAGE_FORMATS:
                return int(getattr(picture, "n_frames", 1))
            return 1
    except Exception as exc:  # only a progress count: never a reason to fail the file
        log.debug("could not count the pages of %s: %s", display(path_key), exc)
        return 0


@contextlib.contextmanager
def one_at_a_time(cache_dir: str | None) -> Iterator[float]:
    """Hold the app's OCR lock (a file lock in the cache folder) while a page is recognised.

    Why: the detector's working memory for one A4 page at 200 dpi is about 700 MB, and two
    workers recognising at once would take 1.7 GB at peak. With the lock, one worker reads a
    page while the other goes on with text files (or waits its turn). Where ``fcntl`` does not
    exist (Windows) pages are recognised side by side. Yields the seconds spent waiting, which
    do not count against the page's time.
    """
    try:
        import fcntl
    except ImportError:
        fcntl = None  # type: ignore[assignment]
    if fcntl is None or not cache_dir:
        yield 0.0
        return
    fd = -1
    asked = clock()
    try:
        Path(cache_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(Path(cache_dir) / ".ocr.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:  # a read-only cache folder: no lock rather than no OCR
        log.debug("OCR lock unavailable: %s", exc)
    try:
        yield clock() - asked
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock


class PageTooLarge(Exception):
    """Raised by a page's renderer for a page too large to decode (its pixel count)."""


def check_pixels(width: int, height: int) -> None:
    """Refuse a page before decoding it when its pixels would not fit the limit."""
    if width * height > MAX_PIXELS:
        raise PageTooLarge(f"{width} x {height} pixels, more than {MAX_PIXELS:,} allowed")


class PageReader:
    """Reads pages of one file by OCR, within its limits; :meth:`finish` keeps the text."""

    def __init__(self, limits: Limits) -> None:
        self.options = limits.ocr
        self.content_hash = limits.content_hash
        self.name = display(limits.path_key) if limits.path_key else "a file"
        self.engine = engine_id(self.options.languages)
        self.cached = cache.load(self.options.cache_dir, self.content_hash, self.engine)
        self.fresh: dict[int, str] = {}
        self.problems: list[PageProblem] = []
        self.recognised = 0
        self.seconds = 0.0
        self.path_key = limits.path_key
        self.pages: int | None = None  # counted at the first page recognised

    def expected(self, page: int) -> int:
        """Pages this file may have recognised in all, at most: those read, and this page and
        every one after it (some may have text or be cached), within the page limit."""
        if self.pages is None:
            self.pages = count_pages(self.path_key)
        later = max(1, self.pages - page + 1)
        return min(self.options.max_pages, self.recognised + later)

    def read(self, page: int, render: Callable[[], Image]) -> str:
        """The OCR text of ``page`` ("" when it failed; the failure is in ``problems``)."""
        if page in self.cached:
            return self.cached[page]
        if self.recognised >= self.options.max_pages:
            return self._problem(
                page, "too_large", f"past the limit of {self.options.max_pages} OCR pages"
            )
        budget = self.options.page_timeout_s * self.recognised
        if self.recognised and self.seconds > budget:
            return self._problem(page, "timeout", "OCR ran out of time for this file")
        heartbeat(self.recognised, self.expected(page))  # waits here while paused
        log.info("ocr: page %d of %s", page, self.name)
        started = clock()
        self.recognised += 1
        try:
            image = render()
            check_pixels(image.width, image.height)
            with one_at_a_time(self.options.cache_dir) as waited:
                started += waited
                lines = recognize(image, self.options.languages)
            text = page_text(lines).strip()
        except PageTooLarge as exc:
            return self._problem(page, "too_large", str(exc))
        except MemoryError:
            return self._problem(page, "too_large", "ran out of memory reading the page")
        except Exception as exc:  # a bad page must not lose the file's other pages
            if type(exc).__name__ == "DecompressionBombError":
                return self._problem(page, "too_large", "the image is too large to decode")
            return self._problem(
                page, "unreadable", f"could not read the image ({type(exc).__name__})"
            )
        finally:
            took = clock() - started
            self.seconds += took
        if took > self.options.page_timeout_s:
            log.info("OCR of page %d of %s took %.1f s", page, self.name, took)
        self.fresh[page] = text
        return text

    def _problem(self, page: int, reason: str, message: str) -> str:
        log.info("ocr: page %d of %s not read: %s", page, self.name, message)
        self.problems.append(PageProblem(page, reason, message))
        return ""

    def finish(self) -> None:
        """Keep what was read for the next time these bytes are met, and give back the
        detector's working memory: an A4 page at 200 dpi peaks at about 850 MB RSS in the
        worker, and glibc would keep most of it resident until the worker is recycled."""
        if self.fresh:
            pages = {**self.cached, **self.fresh}
            cache.save(self.options.cache_dir, self.content_hash, self.engine, pages)
        if self.recognised:
            from desktop_app.engine.memory import trim_malloc

            trim_malloc()
