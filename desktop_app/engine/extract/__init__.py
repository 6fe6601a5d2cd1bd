"""Document text extraction: one module per format family, one contract (``base``).

``extract(path)`` returns a ``Document`` (text plus page/section segments) or raises an
``ExtractionError`` whose ``reason`` is one of ``REASONS``. Callers run it in a separate
process with a time limit; the extractors bound size and memory themselves.
"""

from pathlib import Path

from desktop_app.engine.extract.base import (
    DEFAULT_MAX_BYTES,
    OCR_OFF,
    REASONS,
    Document,
    ExtractionError,
    OcrOptions,
    Segment,
)
from desktop_app.engine.extract.registry import SUPPORTED_EXTENSIONS, family_by_name


def extract(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: OcrOptions = OCR_OFF,
    content_hash: str = "",
    path_key: str = "",
) -> Document:
    """Extract the text of ``path``; raises ``ExtractionError`` with a reason from ``REASONS``.

    ``ocr`` says whether images and scanned PDF pages are read by OCR (off unless asked);
    ``content_hash`` (of the file's bytes) finds text OCR'd before; ``path_key`` is the
    index's key for the path (the per-folder OCR switch and the log name it).

    The extractors are imported on the first call, in the process that extracts (the
    extraction workers), never merely because the engine imported this package: the app's
    own process stays free of the parsers' modules.
    """
    from desktop_app.engine.extract.base import Limits
    from desktop_app.engine.extract.dispatch import extract_file

    limits = Limits(
        max_bytes=max_bytes, ocr=ocr, content_hash=content_hash, path_key=path_key or str(path)
    )
    return extract_file(path, limits)


def supported_extensions() -> frozenset[str]:
    """Every extension (lower-case, with the dot) that maps to an extractor."""
    return SUPPORTED_EXTENSIONS


def family_for(path: Path) -> str | None:
    """The ``file_type`` a path gets from its name alone, or None when the name says nothing."""
    return family_by_name(path)


__all__ = [
    "REASONS",
    "Document",
    "ExtractionError",
    "OcrOptions",
    "Segment",
    "extract",
    "family_for",
    "supported_extensions",
]
