"""Optical character recognition behind one small interface: ``recognize(image) -> lines``.

The extractors (``extract/image.py``, ``extract/pdf.py``) import this package only when they
meet an image or a scanned page, so a folder of text files never loads an OCR model, ONNX
Runtime or OpenCV. The backend (:mod:`.rapid`, RapidOCR on ONNX Runtime, whose models ship in
its wheel: nothing is downloaded at run time) is one module; swapping engines means writing
another module with ``recognize`` and ``engine_id`` and pointing ``_backend`` at it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.engine.ocr.lines import Line

if TYPE_CHECKING:
    from PIL.Image import Image


def recognize(image: Image, languages: tuple[str, ...] = ("en",)) -> list[Line]:
    """The text lines in ``image``, top to bottom (the model is loaded on the first call),
    in the characters of ``languages`` (see :mod:`.languages`)."""
    from desktop_app.engine.ocr import rapid

    return rapid.recognize(image, languages)


def engine_id(languages: tuple[str, ...] = ("en",)) -> str:
    """Which engine, version and languages read a text: cached text read otherwise is read
    again (a language added can change what a page says)."""
    from desktop_app.engine.ocr import rapid

    return f"{rapid.engine_id()} {'+'.join(sorted(languages))}"


def page_text(lines: list[Line]) -> str:
    """Lines joined in reading order: rows top to bottom, and left to right within a row.

    Why not the engine's order: a detector may list a right-hand column's line before a
    line further left on the same row. Lines whose starts (:attr:`Line.row_centre`) lie
    within half a line height of each other are one row. Why the start and not the box's
    centre: on a page scanned 1.5 degrees askew, a long line's upright box is taller than
    the line and its centre sits a third of a line off, so a paragraph's short last line
    was read after the next line (2 of the 28 benchmark pages).
    """
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.row_centre):
        if rows:
            last = rows[-1][-1]
            if abs(line.row_centre - last.row_centre) < last.row_height / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return "\n".join(
        " ".join(ln.text for ln in sorted(row, key=lambda ln: ln.left)) for row in rows
    )


__all__ = ["Line", "engine_id", "page_text", "recognize"]
