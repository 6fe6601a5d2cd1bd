"""The page loop shared by image files and scanned PDFs: cache, limits, problems, log.

Each page the extractor cannot get text from otherwise goes through :meth:`PageReader.read`:
the text cached for the file's bytes is used when there is some; otherwise the page is
rendered and recognised, unless the file has used up its page limit or its time budget.
A page that fails (too large, unreadable, out of time) becomes a ``PageProblem`` and the
file's other pages still count. Every recognition is logged as ``ocr: page N of FILE``, which
the pool replays in the app: a run that OCR'd nothing logged no such line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.engine.extract.base import Limits, PageProblem, heartbeat
from desktop_app.engine.ocr import cache, engine_id, page_text, recognize
from desktop_app.engine.pathnames import display

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

#: An image (or a rendered page) above this many pixels is not decoded: about 12,000 x 8,000.
MAX_PIXELS = 100_000_000


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
        self.engine = engine_id()
        self.cached = cache.load(self.options.cache_dir, self.content_hash, self.engine)
        self.fresh: dict[int, str] = {}
        self.problems: list[PageProblem] = []
        self.recognised = 0
        self.seconds = 0.0

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
        heartbeat()
        log.info("ocr: page %d of %s", page, self.name)
        started = time.monotonic()
        self.recognised += 1
        try:
            image = render()
            check_pixels(image.width, image.height)
            text = page_text(recognize(image)).strip()
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
            took = time.monotonic() - started
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
        """Keep what was read for the next time these bytes are met."""
        if self.fresh:
            pages = {**self.cached, **self.fresh}
            cache.save(self.options.cache_dir, self.content_hash, self.engine, pages)
