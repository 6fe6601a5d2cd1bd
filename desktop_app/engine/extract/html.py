"""HTML and XHTML to text with the standard library's tolerant ``html.parser``.

Real-world HTML is rarely well-formed, so a forgiving tokenizer beats an XML parser here.
What matters for search: no script/style noise, block elements become line breaks so words
from neighbouring cells or paragraphs do not fuse, table cells are separated by " | ", and
headings become the ``section`` of the text that follows them. ``feed_html`` is reused by the
EPUB and e-mail extractors so every HTML-ish source is treated the same way.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    Limits,
    read_limited,
    squash_spaces,
)
from desktop_app.engine.extract.encoding import bom_encoding, decode_text

log = logging.getLogger(__name__)

SKIP_TAGS: Final = frozenset({"script", "style", "noscript", "template"})
HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CELL_TAGS: Final = frozenset({"td", "th"})
BLOCK_TAGS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "head", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
    }
) | HEADING_TAGS  # fmt: skip
MAX_SECTION_CHARS: Final = 200
MAX_TITLE_CHARS: Final = 500
CELL_SEPARATOR: Final = " | "

_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_XML_ENCODING: Final = re.compile(
    rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})"""
)
# The HTML standard decodes these labels as windows-1252, a strict superset.
_AS_CP1252: Final = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"})


@dataclass(frozen=True)
class HtmlInfo:
    """What ``feed_html`` learned besides the text: the page's <title> and first heading."""

    title: str
    first_heading: str


class _TextParser(HTMLParser):
    """Streams visible text into a DocumentBuilder, one line per block element."""

    def __init__(
        self,
        builder: DocumentBuilder,
        page: int | None,
        section: str | None,
        title_as_section: bool,
    ) -> None:
        super().__init__(convert_charrefs=True)
        self._builder = builder
        self._page = page
        self._section = section
        self._title_as_section = title_as_section
        self._line: list[str] = []
        self._line_has_text = False
        self._separator_due = False
        self._skip_depth = 0
        self._pre_depth = 0
        self._in_title = False
        self._in_heading = False
        self._title_parts: list[str] = []
        self.title = ""
        self.first_heading = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._in_title:  # <title> holds only text; a tag means it was never closed
            self._end_title()
        if tag in SKIP_TAGS:
            self._skip_depth += 1
        elif tag == "title" and not self.title:
            self._in_title = True
        elif tag in CELL_TAGS:
            # The separator is written with the cell's first text, so empty cells add none.
            self._separator_due = self._line_has_text
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in HEADING_TAGS:
                self._in_heading = True
            elif tag == "pre":
                self._pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title" and self._in_title:
            self._end_title()
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in HEADING_TAGS:
                self._in_heading = False
            elif tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth or self._builder.full:
            return
        if self._in_title:
            self._title_parts.append(data)
        else:
            if not data.isspace():
                if self._separator_due:
                    self._line.append(CELL_SEPARATOR)
                    self._separator_due = False
                self._line_has_text = True
            self._line.append(data)

    def close(self) -> None:
        super().close()
        if self._in_title:
            self._end_title()
        self._flush()

    def _end_title(self) -> None:
        self._in_title = False
        self.title = squash_spaces("".join(self._title_parts))[:MAX_TITLE_CHARS]
        if self._title_as_section and self._section is None and self.title:
            self._section = self.title[:MAX_SECTION_CHARS]

    def _flush(self) -> None:
        raw = "".join(self._line)
        self._line.clear()
        self._line_has_text = False
        self._separator_due = False
        if self._pre_depth:
            text = "\n".join(line.rstrip() for line in raw.strip("\n").split("\n"))
        else:
            text = squash_spaces(raw)
        if not text.strip():
            return
        if self._in_heading:
            heading = squash_spaces(text)[:MAX_SECTION_CHARS]
            self._section = heading
            self.first_heading = self.first_heading or heading
        # add(), not add_block(): a <pre> block keeps its leading indentation.
        self._builder.add(text + "\n", page=self._page, section=self._section)


def feed_html(
    builder: DocumentBuilder,
    markup: str,
    *,
    page: int | None = None,
    section: str | None = None,
    title_as_section: bool = False,
) -> HtmlInfo:
    """Add the visible text of ``markup`` to ``builder``; headings become sections.

    ``section`` is the section of text before the first heading; with ``title_as_section``
    the page's <title> takes that role when no section is given (EPUB chapters).
    """
    parser = _TextParser(builder, page, section, title_as_section)
    parser.feed(markup)
    parser.close()
    return HtmlInfo(title=parser.title, first_heading=parser.first_heading)


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XHTML document declares in its first bytes, if any."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    if label in _AS_CP1252:
        return "cp1252"
    if label.startswith(("utf-16", "utf-32", "utf16", "utf32")):
        return None  # only a BOM can make an ASCII-compatible declaration mean UTF-16
    return label


def decode_html(data: bytes) -> str:
    """Decode HTML bytes: BOM, then the declared charset, then detection."""
    declared = None if bom_encoding(data) else declared_charset(data)
    return decode_text(data, declared)


def extract_html(path: Path, limits: Limits) -> Document:
    builder = DocumentBuilder("html", limits.max_chars)
    info = feed_html(builder, decode_html(read_limited(path, limits.max_bytes)))
    return builder.build(info.title or path.stem)
