"""OpenDocument text, spreadsheets and presentations (.odt, .ods, .odp).

All three keep their text in ``content.xml`` (and the title in ``meta.xml``), with one shared
vocabulary, so one small walker serves them: ``text:h`` starts a section, ``text:p`` is a
block, spaces/tabs/line breaks are elements of their own, tables become " | " rows, a sheet or
a slide is one page. Repeat counts (``table:number-rows-repeated`` and friends) are ignored on
purpose: a repeated row adds no new words, and honouring a forged count of a million rows
would be a denial of service.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element

from desktop_app.engine.extract.archive import has_member, open_zip, parse_xml, read_member
from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
    squash_spaces,
)

log = logging.getLogger(__name__)

_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"

MIMETYPES: Final = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
MANIFEST: Final = "META-INF/manifest.xml"
"""Lists ``manifest:encryption-data`` for each part of a password-protected document."""
CELL_SEPARATOR: Final = " | "
MAX_DEPTH: Final = 100
"""Deeper content is flattened to plain text instead of recursing (no RecursionError)."""
MAX_SPACES: Final = 64
MAX_SECTION_CHARS: Final = 200

_SKIPPED: Final = frozenset(
    {f"{_TEXT}note-citation", f"{_OFFICE}annotation", f"{_TEXT}tracked-changes"}
)
_ROW_GROUPS: Final = frozenset(
    {f"{_TABLE}table-header-rows", f"{_TABLE}table-rows", f"{_TABLE}table-row-group"}
)


def extract_opendocument(path: Path, limits: Limits, file_type: str) -> Document:
    """Extract an ODT/ODS/ODP; ``file_type`` picks the body element and the segment layout."""
    with open_zip(path, limits) as archive:
        if has_member(archive, MANIFEST) and b"encryption-data" in read_member(archive, MANIFEST):
            raise ExtractionError("encrypted", "the document is password-protected")
        content = parse_xml(read_member(archive, "content.xml"), "content.xml")
        title = ""
        if has_member(archive, "meta.xml"):
            try:
                title = _meta_title(parse_xml(read_member(archive, "meta.xml"), "meta.xml"))
            except ExtractionError as exc:  # the text is still good without its title
                log.debug("%s: %s", path.suffix, fault(exc))
    body = content.find(f"{_OFFICE}body")
    if body is None:
        raise ExtractionError("corrupt", "content.xml has no office:body")
    builder = DocumentBuilder(file_type, limits.max_chars)
    for kind in ("text", "spreadsheet", "presentation"):
        part = body.find(f"{_OFFICE}{kind}")
        if part is None:
            continue
        if kind == "spreadsheet":
            _add_sheets(builder, part)
        elif kind == "presentation":
            _add_slides(builder, part)
        else:
            _Walker(builder).blocks(part, 0)
    return builder.build(title or path.stem)


def _meta_title(meta: Element) -> str:
    node = meta.find(f"{_OFFICE}meta/{_DC}title")
    return squash_spaces(node.text or "") if node is not None else ""


def _add_sheets(builder: DocumentBuilder, spreadsheet: Element) -> None:
    tables = spreadsheet.findall(f"{_TABLE}table")
    for number, table in enumerate(tables, start=1):
        if builder.full:
            break
        name = table.get(f"{_TABLE}name") or None
        section = name[:MAX_SECTION_CHARS] if name else None
        for line in _table_lines(table):
            builder.add(line + "\n", page=number, section=section)
        builder.add("\n", page=number, section=section)


def _add_slides(builder: DocumentBuilder, presentation: Element) -> None:
    for number, slide in enumerate(presentation.findall(f"{_DRAW}page"), start=1):
        if builder.full:
            break
        walker = _Walker(builder, page=number, section=_slide_title(slide))
        walker.blocks(slide, 0)
        builder.add("\n", page=number, section=walker.section)


def _slide_title(slide: Element) -> str | None:
    for frame in slide.iter(f"{_DRAW}frame"):
        if frame.get(f"{_PRESENTATION}class") == "title":
            title = squash_spaces(inline_text(frame, 0))
            return title[:MAX_SECTION_CHARS] or None
    return None


class _Walker:
    """Walks block-level content, tracking the current heading as the section."""

    def __init__(
        self, builder: DocumentBuilder, page: int | None = None, section: str | None = None
    ) -> None:
        self.builder = builder
        self.page = page
        self.section = section

    def blocks(self, element: Element, depth: int) -> None:
        for child in element:
            if self.builder.full:
                return
            tag = child.tag
            if tag == f"{_TEXT}h":
                text = inline_text(child, 0)
                if text.strip():
                    self.section = squash_spaces(text)[:MAX_SECTION_CHARS]
                self._add(text)
            elif tag == f"{_TEXT}p":
                self._add(inline_text(child, 0))
            elif tag == f"{_TABLE}table":
                self._add("\n".join(_table_lines(child)))
            elif tag not in _SKIPPED:
                if depth < MAX_DEPTH:
                    self.blocks(child, depth + 1)
                else:
                    self._add(_nested_text(child, depth + 1))

    def _add(self, text: str) -> None:
        gap = "\n" if self.page is not None else "\n\n"
        self.builder.add_block(text, page=self.page, section=self.section, gap=gap)


def inline_text(element: Element, depth: int) -> str:
    """The text of a paragraph-like element, with ODF's space/tab/break elements expanded."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{_TEXT}s":
            parts.append(" " * _count(child.get(f"{_TEXT}c")))
        elif tag == f"{_TEXT}tab":
            parts.append("\t")
        elif tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif tag in (f"{_TEXT}p", f"{_TEXT}h"):  # nested paragraphs (frames, notes, cells)
            parts.append(" " + inline_text(child, depth + 1) + " ")
        elif tag not in _SKIPPED:
            parts.append(_nested_text(child, depth + 1))
        parts.append(child.tail or "")
    return "".join(parts)


def _nested_text(element: Element, depth: int) -> str:
    """Below ``MAX_DEPTH`` the text is kept flat (ElementTree's iterative ``itertext``)."""
    if depth < MAX_DEPTH:
        return inline_text(element, depth)
    return "".join(element.itertext())


def _table_lines(table: Element) -> Iterator[str]:
    for row in _rows(table, 0):
        cells = (
            squash_spaces(inline_text(cell, 0))
            for cell in row
            if cell.tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
        )
        line = CELL_SEPARATOR.join(cell for cell in cells if cell)
        if line:
            yield line


def _rows(element: Element, depth: int) -> Iterator[Element]:
    for child in element:
        if child.tag == f"{_TABLE}table-row":
            yield child
        elif child.tag in _ROW_GROUPS and depth < MAX_DEPTH:
            yield from _rows(child, depth + 1)


def _count(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), MAX_SPACES))
    except ValueError:
        return 1
