"""What an index run reports while it goes (:class:`Progress`) and when it ends
(:class:`IndexSummary`).

Kept apart from :mod:`pipeline` so the front ends (and the pipeline's own size) do not carry
the run's machinery just to read its numbers; :mod:`pipeline` re-exports both names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Progress:
    """A snapshot for whoever listens (CLI prints it, the GUI bridge turns it into signals)."""

    files_total: int = 0
    files_done: int = 0
    files_failed: int = 0
    chunks_done: int = 0
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current_file: str = ""
    paused: bool = False
    #: Why indexing is paused: "user" or "memory" (empty while running).
    paused_reason: str = ""
    #: Memory pressure seen by the governor: "ok", "elevated" or "critical".
    memory: str = "ok"
    last_error: tuple[str, str, str] | None = None
    #: Pages read by OCR so far in this run (a page from the OCR cache is not counted).
    ocr_pages_done: int = 0
    #: Pages the files whose OCR has started may need read, at most: a picture's frames, a
    #: scanned PDF's pages from its first scanned one on (each file's count is made exact
    #: when it ends). Files not yet started are not in it (see ``ocr_more``).
    ocr_pages_total: int = 0
    #: The file whose pages are being read by OCR now ("" when none is).
    ocr_file: str = ""
    #: Files that may need OCR (pictures, PDFs) are still waiting: the total may grow.
    ocr_more: bool = False


@dataclass
class IndexSummary:
    indexed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    removed: int = 0
    renamed: int = 0
    touched: int = 0
    #: Files indexed in part: more distinct passages than ``max_chunks_per_file``.
    truncated: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    errors: list[dict[str, str]] = field(default_factory=list)


ProgressCallback = Callable[[Progress], None]
