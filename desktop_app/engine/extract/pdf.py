"""PDF text, page by page, with pypdfium2 (PDFium, the engine Chrome uses).

Each page is its own segment so a search hit can say "page 3". PDFium objects own native
memory that Python's garbage collector does not see, so every document, page and text page is
closed explicitly in ``finally`` blocks; a worker extracting thousands of PDFs must not grow.
The file is handed to PDFium as an open stream rather than a path, which sidesteps native
path-encoding problems with non-ASCII file names.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Final

from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
)

log = logging.getLogger(__name__)

PAGE_GAP: Final = "\n\n"


def extract_pdf(path: Path, limits: Limits) -> Document:
    import pypdfium2 as pdfium

    builder = DocumentBuilder("pdf", limits.max_chars)
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
                text = _page_text(pdf, index)
                builder.add_block(text, page=index + 1, gap=PAGE_GAP)
        finally:
            pdf.close()
    try:
        return builder.build(title or path.stem)
    except ExtractionError as exc:
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


def _page_text(pdf: Any, index: int) -> str:
    """The text of one page; a page PDFium cannot load is skipped, not fatal."""
    import pypdfium2 as pdfium

    try:
        page = pdf.get_page(index)
    except pdfium.PdfiumError as exc:
        log.info("PDF page %d skipped: %s", index + 1, fault(exc))
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_bounded())
        finally:
            textpage.close()
    except pdfium.PdfiumError as exc:
        log.info("PDF page %d has no readable text: %s", index + 1, fault(exc))
        return ""
    finally:
        page.close()
