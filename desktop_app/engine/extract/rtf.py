"""Rich Text Format via striprtf.

RTF is 7-bit text with escapes (``\\'e9``, ``\\u233``) that striprtf decodes using the file's
own code page, so the bytes are handed over as Latin-1 (a lossless byte-to-char mapping).
A file that does not start with ``{\\rtf`` is not RTF at all: "corrupt".
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
    read_limited,
)

log = logging.getLogger(__name__)

MAGIC: Final = b"{\\rtf"


def extract_rtf(path: Path, limits: Limits) -> Document:
    from striprtf.striprtf import rtf_to_text

    data = read_limited(path, limits.max_bytes)
    if not data.lstrip()[:5].startswith(MAGIC):
        raise ExtractionError("corrupt", "not an RTF file (no {\\rtf header)")
    try:
        text = rtf_to_text(data.decode("latin-1"), errors="replace")  # type: ignore[no-untyped-call]
    except (ValueError, LookupError, IndexError, OverflowError) as exc:
        raise ExtractionError("corrupt", f"RTF could not be decoded ({fault(exc)})") from exc
    builder = DocumentBuilder("rtf", limits.max_chars)
    builder.add(text)
    return builder.build(path.stem)
