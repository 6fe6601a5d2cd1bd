"""The extraction contract: what every format extractor returns, and how it fails.

Everything downstream (chunking, the index, snippets, the "why did this file fail" column)
depends only on these types, never on a format library, so a new format is one new module.
``extract``, ``supported_extensions`` and ``family_for`` are defined here as thin entry points;
the dispatch (and with it the heavy format libraries) is imported only when a file is actually
extracted, so importing the contract stays cheap.
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from desktop_app.engine.pathnames import display, key

log = logging.getLogger(__name__)

REASONS: Final = (
    "corrupt",
    "encrypted",
    "no_text",
    "too_large",
    "timeout",
    "unsupported",
    "unreadable",
)

DEFAULT_MAX_BYTES: Final = 100 * 1024 * 1024
OCR_SECTION: Final = "Recognised text (OCR)"
"""The ``section`` of every segment whose text came from OCR, so a passage can say so."""
OCR_INCOMPLETE: Final = "ocr_incomplete"
"""The reason of an indexed file some of whose pages OCR could not read (the rest counts)."""
OCR_OFF_MESSAGE: Final = "an image, and OCR is off for it"
"""Why a picture was skipped: it is read again when OCR is turned on (``Engine.reread_for_ocr``)."""
MAX_CHARS: Final = 20_000_000
"""Extracted text is cut here: beyond it, chunking and embedding one file would take hours."""

MAX_UNZIPPED_BYTES: Final = 1 << 30
"""Upper bound for the sum of declared member sizes of a zip-based document (zip bombs)."""

UNZIP_RATIO: Final = 20
"""Zip-based documents may unpack to at most this multiple of ``max_bytes`` (capped above)."""

# C0 controls other than tab and newline, DEL, and the UTF-16 non-characters some extractors emit.
_CONTROL_RE: Final = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_NEWLINE_RE: Final = re.compile(r"\r\n?|[\x0c\u2028\u2029\x85]")


class ExtractionError(Exception):
    """A file could not be turned into text; ``reason`` is one of ``REASONS``.

    The reason is stored in the manifest and shown to the user, so it must say what kind of
    problem the *file* has (not which library tripped), and the message adds the detail.
    """

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown extraction failure reason {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message

    def __reduce__(self) -> tuple[type[ExtractionError], tuple[str, str]]:
        # Worker processes may send the error back whole; rebuild it from both arguments.
        return (type(self), (self.reason, self.message))


@dataclass(frozen=True)
class Segment:
    """A span of ``Document.text`` with where it came from, for page numbers and headings."""

    start: int
    end: int
    page: int | None
    section: str | None


@dataclass(frozen=True)
class PageProblem:
    """A page the file's extractor could not read (OCR), while its other pages still count."""

    page: int
    reason: str
    message: str


@dataclass(frozen=True)
class Document:
    """The text of one file; ``segments`` tile ``text`` from 0 to ``len(text)`` in order."""

    text: str
    segments: list[Segment]
    title: str
    file_type: str
    #: Pages left out (OCR failed or ran out of time); empty for nearly every file.
    page_problems: tuple[PageProblem, ...] = ()


@dataclass(frozen=True)
class OcrOptions:
    """What the extraction workers may OCR, and where they keep what they read.

    Built by the engine from the settings and sent to each worker process: a worker forked
    from the preloading server does not see the app's settings or its ``--data-dir``, so the
    cache folder travels here too. Light on purpose: no OCR library is imported for it.
    """

    enabled: bool = True
    #: Folder keys under which nothing is OCR'd (the per-folder switch).
    excluded_folders: tuple[str, ...] = ()
    #: Pages OCR'd per file at most; the rest are reported, not read.
    max_pages: int = 200
    languages: tuple[str, ...] = ("en",)
    #: Time a page may take; past ``pages x`` this, a file's remaining pages are not read.
    page_timeout_s: float = 30.0
    #: Where OCR'd text is kept by content hash; None: no cache.
    cache_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any, cache_dir: Path) -> OcrOptions:
        """The options for the app's settings (any object indexable by setting name)."""
        return cls(
            enabled=bool(settings["ocr_enabled"]),
            excluded_folders=tuple(settings["ocr_excluded_folders"]),
            max_pages=int(settings["ocr_max_pages"]),
            languages=tuple(settings["ocr_languages"]),
            page_timeout_s=float(settings["ocr_page_timeout_s"]),
            cache_dir=str(cache_dir),
        )

    def applies_to(self, path_key: str) -> bool:
        """True when OCR is on and ``path_key`` lies in no folder where it was turned off."""
        if not self.enabled:
            return False
        for folder in self.excluded_folders:
            root = folder.rstrip("/\\") or folder
            if path_key == root or path_key.startswith((root + "/", root + "\\")):
                return False
        return True


OCR_OFF: Final = OcrOptions(enabled=False)


@dataclass(frozen=True)
class Limits:
    """Resource bounds for one extraction, derived from the caller's ``max_bytes``.

    ``ocr`` and ``content_hash`` let the image and PDF extractors OCR pages without text and
    reuse what an earlier run read from the same bytes.
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    max_chars: int = MAX_CHARS
    ocr: OcrOptions = field(default=OCR_OFF)
    content_hash: str = ""
    path_key: str = ""

    @property
    def max_unzipped(self) -> int:
        return min(self.max_bytes * UNZIP_RATIO, MAX_UNZIPPED_BYTES)


_heartbeat: Callable[[int, int], None] | None = None


def set_heartbeat(callback: Callable[[int, int], None] | None) -> None:
    """Install what :func:`heartbeat` calls (the extraction worker: a message to the pool,
    after waiting while the run is paused; see ``engine/ocr/phase.py``)."""
    global _heartbeat
    _heartbeat = callback


def heartbeat(done: int = 0, expected: int = 0) -> None:
    """Say "still working" before a long step (an OCR page), so the time limit restarts.

    Why: a scanned 200-page PDF is many minutes of honest work, while a text file that takes
    a minute is stuck. The pool's limit is per step of work, not per file. ``done`` and
    ``expected`` (pages of the file read before this one, of at most how many) feed the
    run's OCR progress. In a worker this call also waits while indexing is paused.
    """
    if _heartbeat is not None:
        _heartbeat(done, expected)


def fault(exc: BaseException) -> str:
    """What went wrong with a file, in words that never quote the file itself.

    Library errors carry the document's own bytes: lxml quotes tag names and text of a
    malformed part, zipfile and python-docx quote part names taken from the document's
    relationships, a ValueError may quote a field. Those strings reach the manifest, the
    Problems view and the log, so only the kind of fault (and where, for XML) is kept.
    """
    if isinstance(exc, SyntaxError):  # lxml's XMLSyntaxError, ElementTree's ParseError
        line, column = getattr(exc, "lineno", None), getattr(exc, "offset", None)
        if line is None and isinstance(getattr(exc, "position", None), tuple):
            line, column = exc.position  # type: ignore[attr-defined]
        where = f" (line {line}, column {column})" if line is not None else ""
        return f"malformed XML{where}"
    if isinstance(exc, KeyError):
        return "a part the file refers to is missing"
    if isinstance(exc, zipfile.BadZipFile | zlib.error | EOFError):
        return "the zip container is damaged"
    if isinstance(exc, UnicodeError):
        return "text in a broken encoding"
    if isinstance(exc, OSError):
        return str(exc.strerror or "input/output error")
    if type(exc).__module__.startswith("pypdfium2"):
        return "PDFium could not parse it"
    return f"unexpected structure ({type(exc).__name__})"


def clean_text(text: str) -> str:
    """Normalise newlines to ``\\n`` and drop control characters that no tokenizer wants."""
    return _CONTROL_RE.sub("", _NEWLINE_RE.sub("\n", text))


def _storable(title: str) -> str:
    """A title fit for the index (valid UTF-8). Titles taken from a file name that is not
    UTF-8 carry its raw bytes as surrogates (PEP 383); they are shown as ``\\xNN``."""
    title = squash_spaces(title)
    try:
        title.encode("utf-8")
    except UnicodeEncodeError:
        return display(key(title))
    return title


def squash_spaces(text: str) -> str:
    """Collapse runs of whitespace to one space (for titles and headings)."""
    return " ".join(text.split())


@dataclass
class _Open:
    start: int
    page: int | None
    section: str | None


class DocumentBuilder:
    """Accumulates text pieces with their page/section and produces a well-formed Document.

    Extractors only say "this text belongs to page 3, heading X"; the builder keeps the
    offsets right, merges neighbours with the same origin (so a chapter of paragraphs is one
    segment, not hundreds), cuts the text at ``max_chars`` and refuses a document with no
    text, so those rules live in one place instead of in every format module.
    """

    def __init__(self, file_type: str, max_chars: int = MAX_CHARS) -> None:
        self.file_type = file_type
        self.max_chars = max_chars
        self.truncated = False
        self._parts: list[str] = []
        self._length = 0
        self._segments: list[Segment] = []
        self._open: _Open | None = None
        #: Pages the extractor could not read; they travel with the document.
        self.page_problems: list[PageProblem] = []

    @property
    def full(self) -> bool:
        """True once the character cap is reached; extractors stop their loops on it."""
        return self.truncated

    def add(self, text: str, *, page: int | None = None, section: str | None = None) -> None:
        """Append ``text`` verbatim (after newline/control clean-up)."""
        if self.truncated:
            return
        text = clean_text(text)
        if not text:
            return
        room = self.max_chars - self._length
        if len(text) > room:
            text = text[:room]
            self.truncated = True
            log.info("text cut at %d characters", self.max_chars)
        current = self._open
        if current is None or current.page != page or current.section != section:
            self._close()
            self._open = _Open(self._length, page, section)
        self._parts.append(text)
        self._length += len(text)

    def add_block(
        self, text: str, *, page: int | None = None, section: str | None = None, gap: str = "\n\n"
    ) -> None:
        """Append a paragraph-like block: stripped, followed by ``gap``; blank blocks vanish."""
        text = text.strip()
        if text:
            self.add(text + gap, page=page, section=section)

    def build(self, title: str) -> Document:
        """Finish the document; raises ``ExtractionError("no_text")`` if it is blank.

        Trailing whitespace is trimmed, which may shorten the last segment or drop segments
        that held only separators; the segments still tile the text exactly.
        """
        self._close()
        text = "".join(self._parts).rstrip()
        if not text:
            raise ExtractionError("no_text", "no text found")
        segments = [
            Segment(seg.start, min(seg.end, len(text)), seg.page, seg.section)
            for seg in self._segments
            if seg.start < len(text)
        ]
        return Document(
            text=text,
            segments=segments,
            title=_storable(title),
            file_type=self.file_type,
            page_problems=tuple(self.page_problems),
        )

    def _close(self) -> None:
        current = self._open
        if current is not None and self._length > current.start:
            self._segments.append(
                Segment(current.start, self._length, current.page, current.section)
            )
        self._open = None


def read_limited(path: Path, max_bytes: int) -> bytes:
    """Read a whole file, refusing it if it grew past ``max_bytes`` since it was measured."""
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ExtractionError("too_large", f"file is larger than {max_bytes} bytes")
    return data
