"""Office Open XML: Word (.docx), PowerPoint (.pptx) and Excel (.xlsx) documents.

Each container is checked for zip-bomb size before its library opens it (the libraries inflate
whole parts into memory). The segment layout follows what a person navigates by: Word
headings, slide numbers, sheet names. Whatever a library raises on a damaged package is a
"corrupt" file; the libraries' exception types are too varied (KeyError for a missing part,
ValueError for a wrong content type, lxml errors...) to list one by one.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from desktop_app.engine.extract.archive import check_zip_file
from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
    squash_spaces,
)

log = logging.getLogger(__name__)

CELL_SEPARATOR: Final = " | "
MAX_TABLE_DEPTH: Final = 8
MAX_ROWS_PER_SHEET: Final = 1_048_576
"""Excel's own row limit; also stops openpyxl's padding loop on a forged row number."""
MAX_SECTION_CHARS: Final = 200


def extract_docx(path: Path, limits: Limits) -> Document:
    """Paragraphs and tables in body order; Heading/Title styles start sections."""
    check_zip_file(path, limits)
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise ExtractionError("corrupt", f"not a readable Word document ({fault(exc)})") from exc
    builder = DocumentBuilder("docx", limits.max_chars)
    section: str | None = None
    for block in document.iter_inner_content():
        if builder.full:
            break
        if hasattr(block, "rows"):
            builder.add_block("\n".join(_docx_table_lines(block, 0)), section=section)
            continue
        text = block.text
        if _is_heading(block) and text.strip():
            section = squash_spaces(text)[:MAX_SECTION_CHARS]
        builder.add_block(text, section=section)
    return builder.build(_core_title(lambda: document.core_properties) or path.stem)


def extract_pptx(path: Path, limits: Limits) -> Document:
    """One segment per slide (page = slide number): shape text, tables, then speaker notes."""
    check_zip_file(path, limits)
    import pptx

    try:
        presentation = pptx.Presentation(str(path))
    except Exception as exc:
        raise ExtractionError("corrupt", f"not a readable PowerPoint file ({fault(exc)})") from exc
    builder = DocumentBuilder("pptx", limits.max_chars)
    for number, slide in enumerate(presentation.slides, start=1):
        if builder.full:
            break
        title_shape = slide.shapes.title
        title = squash_spaces(title_shape.text_frame.text) if title_shape is not None else ""
        section = title[:MAX_SECTION_CHARS] or None
        for text in _shape_texts(slide.shapes, 0):
            builder.add_block(text, page=number, section=section, gap="\n")
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                builder.add_block(notes.text, page=number, section=section, gap="\n")
        builder.add("\n", page=number, section=section)
    return builder.build(_core_title(lambda: presentation.core_properties) or path.stem)


def extract_xlsx(path: Path, limits: Limits) -> Document:
    """One segment per worksheet (page = sheet position, section = sheet name), rows as lines.

    Read-only mode streams rows instead of building the whole workbook; ``data_only`` gives
    the cached results of formulas, which is what the user sees. openpyxl's UserWarnings about
    features it ignores (data validation, print settings) are noise for search and logged.
    """
    check_zip_file(path, limits)
    import openpyxl

    builder = DocumentBuilder("xlsx", limits.max_chars)
    # A stream, not the path: openpyxl refuses paths without an Excel extension (sniffed files),
    # and in read-only mode it reads the stream lazily, so it stays open until the end.
    with path.open("rb") as stream, warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=UserWarning, module=r"openpyxl\.")
        try:
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:
            raise ExtractionError(
                "corrupt", f"not a readable Excel workbook ({fault(exc)})"
            ) from exc
        try:
            names = list(workbook.sheetnames)
            for sheet in workbook.worksheets:
                if builder.full:
                    break
                _add_sheet(builder, sheet, names.index(sheet.title) + 1)
            title = _core_title(lambda: workbook.properties)
        finally:
            workbook.close()
    for warning in caught:
        log.debug("openpyxl: %s", warning.message)
    return builder.build(title or path.stem)


def _add_sheet(builder: DocumentBuilder, sheet: Any, page: int) -> None:
    section = str(sheet.title)[:MAX_SECTION_CHARS]
    sheet.reset_dimensions()  # trust the rows present, not a (forgeable) declared range
    for count, row in enumerate(sheet.iter_rows(values_only=True)):
        if count >= MAX_ROWS_PER_SHEET or builder.full:
            break
        line = _join_cells(_cell_text(value) for value in row)
        if line:
            builder.add(line + "\n", page=page, section=section)
    builder.add("\n", page=page, section=section)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return squash_spaces(str(value))


def _join_cells(cells: Iterable[str]) -> str:
    """Join the non-empty cell texts with " | " (empty cells carry no words, only noise)."""
    return CELL_SEPARATOR.join(cell for cell in cells if cell)


def _is_heading(paragraph: Any) -> bool:
    style = paragraph.style
    if style is None:
        return False
    name = str(style.name or "")
    style_id = str(style.style_id or "")
    return any(s.startswith(("Heading", "heading", "Title")) for s in (name, style_id))


def _docx_table_lines(table: Any, depth: int) -> Iterator[str]:
    """One line per row; merged cells (python-docx repeats them) appear once."""
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(_docx_cell_texts(cell, depth)))
        line = _join_cells(cells)
        if line:
            yield line


def _docx_cell_texts(cell: Any, depth: int) -> Iterator[str]:
    for block in cell.iter_inner_content():
        if hasattr(block, "rows"):
            if depth < MAX_TABLE_DEPTH:
                yield from _docx_table_lines(block, depth + 1)
        elif block.text.strip():
            yield squash_spaces(block.text)


def _shape_texts(shapes: Any, depth: int) -> Iterator[str]:
    """Text of every shape, descending into groups; tables one line per row."""
    for shape in shapes:
        if getattr(shape, "shapes", None) is not None:  # a group shape
            if depth < MAX_TABLE_DEPTH:
                yield from _shape_texts(shape.shapes, depth + 1)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            yield shape.text_frame.text
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                line = _join_cells(squash_spaces(cell.text_frame.text) for cell in row.cells)
                if line:
                    yield line


def _core_title(properties: Callable[[], Any]) -> str:
    """The core-properties title; a broken docProps part must not lose the text."""
    try:
        title = properties().title
    except Exception as exc:
        log.debug("core properties unreadable: %s", fault(exc))
        return ""
    return squash_spaces(str(title or ""))
