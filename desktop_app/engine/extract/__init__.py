"""Document text extraction: one module per format family, one contract (``base``).

``extract(path)`` returns a ``Document`` (text plus page/section segments) or raises an
``ExtractionError`` whose ``reason`` is one of ``REASONS``. Callers run it in a separate
process with a time limit; the extractors bound size and memory themselves.
"""

from desktop_app.engine.extract.base import REASONS, Document, ExtractionError, Segment
from desktop_app.engine.extract.dispatch import extract, family_for, supported_extensions

__all__ = [
    "REASONS",
    "Document",
    "ExtractionError",
    "Segment",
    "extract",
    "family_for",
    "supported_extensions",
]
