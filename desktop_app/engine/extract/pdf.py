"""PDF text, page by page, with pypdfium2 (PDFium, the engine Chrome uses).

Each page is its own segment so a search hit can say "page 3". PDFium objects own native
memory that Python's garbage collector does not see, so every document, page and text page is
closed explicitly in ``finally`` blocks; a worker extracting thousands of PDFs must not grow.
The file is handed to PDFium as an open stream rather than a path, which sidesteps native
path-encoding problems with non-ASCII file names.

A scanned page (fewer than ``SCANNED_MAX_CHARS`` characters of text layer and at least one
image) is rendered and read by OCR when the options allow it; its text keeps the page's number
and is marked ``OCR_SECTION``. Pages with a text layer never load the OCR model.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from desktop_app.engine.extract.base import (
    OCR_SECTION,
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
)

if TYPE_CHECKING:
    from PIL.Image import Image

    from desktop_app.engine.ocr.pages import PageReader

log = logging.getLogger(__name__)

PAGE_GAP: Final = "\n\n"
#: A page with less text layer than this (a page number, a stamp) and an image is scanned.
SCANNED_MAX_CHARS: Final = 20
#: Resolution scanned pages are rendered at for OCR (the detector sees at most 2,000 px).
OCR_DPI: Final = 200
#: Rendered pixels at most: a poster-sized page is rendered at a lower resolution instead.
MAX_RENDER_PIXELS: Final = 16_000_000


def extract_pdf(path: Path, limits: Limits) -> Document:
    import pypdfium2 as pdfium

    builder = DocumentBuilder("pdf", limits.max_chars)
    ocr = limits.ocr.applies_to(limits.path_key or str(path))
    reader: PageReader | None = None
    with path.open("rb") as stream:
        try:
            pdf = pdfium.PdfDocument(stream)
        except pdfium.PdfiumError as exc:
            raise _load_error(exc) from exc
        try:
            title = _metadata_title(pdf)
            pages = len(pdf)
            for index in range(pages):
                if builder.full:
                    break
                text, scanned = _page_text(pdf, index)
                if ocr and scanned:
                    if reader is None:
                        from desktop_app.engine.ocr.pages import PageReader

                        reader = PageReader(limits)
                    recognised = reader.read(index + 1, partial(_render, pdf, index))
                    if recognised:
                        builder.add_block(
                            recognised, page=index + 1, section=OCR_SECTION, gap=PAGE_GAP
                        )
                        continue
                builder.add_block(text, page=index + 1, gap=PAGE_GAP)
        finally:
            pdf.close()
    if reader is not None:
        reader.finish()
        builder.page_problems.extend(reader.problems)
    try:
        return builder.build(title or path.stem)
    except ExtractionError as exc:
        if reader is not None and reader.problems:
            first = reader.problems[0]
            raise ExtractionError(first.reason, f"page {first.page}: {first.message}") from exc
        if reader is not None:
            raise ExtractionError("no_text", "OCR found no text on the scanned pages") from exc
        raise ExtractionError(
            "no_text", f"none of the {pages} pages has a text layer (scanned?)"
        ) from exc


def _load_error(exc: Any) -> ExtractionError:
    """Map PDFium's load error code to our reason."""
    import pypdfium2.raw as pdfium_c

    code = getattr(exc, "err_code", None)
    if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return ExtractionError("encrypted", "the PDF is password-protected")
    if code == pdfium_c.FPDF_ERR_FILE:
        return ExtractionError("unreadable", "PDFium could not read the file")
    return ExtractionError("corrupt", f"not a readable PDF ({fault(exc)})")


def _metadata_title(pdf: Any) -> str:
    try:
        return str(pdf.get_metadata_value("Title")).strip()
    except Exception as exc:  # metadata is a nicety; a broken Info dict must not lose the text
        log.debug("PDF title unreadable: %s", fault(exc))
        return ""


def _page_text(pdf: Any, index: int) -> tuple[str, bool]:
    """The text of one page, and whether it looks scanned; a page PDFium cannot load is
    skipped, not fatal."""
    import pypdfium2 as pdfium

    try:
        page = pdf.get_page(index)
    except pdfium.PdfiumError as exc:
        log.info("PDF page %d skipped: %s", index + 1, fault(exc))
        return "", False
    try:
        textpage = page.get_textpage()
        try:
            text = str(textpage.get_text_bounded())
        finally:
            textpage.close()
        return text, len(text.strip()) < SCANNED_MAX_CHARS and _has_image(page)
    except pdfium.PdfiumError as exc:
        log.info("PDF page %d has no readable text: %s", index + 1, fault(exc))
        return "", _has_image(page)
    finally:
        page.close()


def _has_image(page: Any) -> bool:
    """True when the page holds an image object (nested in forms too)."""
    import pypdfium2.raw as pdfium_c

    try:
        objects = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3)
        return next(iter(objects), None) is not None
    except Exception as exc:  # a damaged object list: treat the page as text only
        log.debug("PDF page objects unreadable: %s", fault(exc))
        return False


def _render(pdf: Any, index: int) -> Image:
    """The page as an RGB picture for OCR, at ``OCR_DPI`` or less for a very large page."""
    page = pdf.get_page(index)
    try:
        width, height = page.get_size()  # points
        scale = OCR_DPI / 72
        area = max(1.0, width * height) * scale * scale
        if area > MAX_RENDER_PIXELS:
            scale *= (MAX_RENDER_PIXELS / area) ** 0.5
        bitmap = page.render(scale=scale)
        try:
            picture: Image = bitmap.to_pil().convert("RGB")
            return picture
        finally:
            bitmap.close()
    finally:
        page.close()
