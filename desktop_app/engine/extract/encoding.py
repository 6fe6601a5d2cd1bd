"""Turn the bytes of a text file into ``str`` without ever assuming an encoding.

Order matters and follows how sure each signal is: a byte-order mark is proof, a declared
charset (HTML ``<meta>``) is a claim, strict UTF-8 that decodes is almost certainly UTF-8, and
only then do we guess with charset-normalizer. Its ranking is unreliable for short Western
text (``café`` comes out as Farsi cp1006), so among its equally plausible candidates cp1252
wins; if nothing fits, cp1252 with replacement characters still yields searchable words.
Binary content is refused first, whatever the file's extension claims.
"""

from __future__ import annotations

import codecs
import logging
from typing import Final

from desktop_app.engine.extract.base import ExtractionError

log = logging.getLogger(__name__)

SNIFF_BYTES: Final = 8192
DETECT_BYTES: Final = 65536
MAX_CONTROL_RATIO: Final = 0.05
FALLBACK_ENCODING: Final = "cp1252"

_BOMS: Final = (  # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Bytes that never occur in text: C0 controls except tab, LF, VT, FF, CR and ESC (ANSI colours
# in logs), and DEL.
_CONTROL_BYTES: Final = bytes(
    b for b in [*range(0x20), 0x7F] if b not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B)
)
_WESTERN: Final = frozenset({"cp1252", "latin_1", "iso8859_15", "iso8859_1"})
_MAX_CHAOS_GAP: Final = 0.1
_MIN_COHERENCE_LEAD: Final = 0.04
# Code pages documents on a desktop are written in: Windows, ISO-8859, KOI8, the CJK families.
_PLAUSIBLE_PREFIXES: Final = ("cp125", "iso8859", "koi8", "euc", "iso2022", "gb", "big5")
_PLAUSIBLE: Final = frozenset(
    {"latin_1", "cp874", "cp932", "cp936", "cp949", "cp950", "shift_jis", "shift_jis_2004",
     "shift_jisx0213", "johab", "hz", "tis_620", "utf_16", "utf_32"}
)  # fmt: skip


def bom_encoding(data: bytes) -> tuple[str, int] | None:
    """The encoding announced by a byte-order mark and the mark's length, if there is one."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    return None


def looks_binary(head: bytes) -> bool:
    """True for content that is not text: any NUL byte, or too many other control bytes."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > MAX_CONTROL_RATIO


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode ``data``; raises ``ExtractionError("unsupported")`` for binary content."""
    bom = bom_encoding(data)
    if bom is not None:
        name, skip = bom
        return data[skip:].decode(name, errors="replace")
    if looks_binary(data[:SNIFF_BYTES]):
        raise ExtractionError("unsupported", "binary content, not text")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            log.debug("declared charset %r does not fit; detecting", declared)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    encoding = detect_encoding(data[:DETECT_BYTES])
    log.debug("detected encoding %s", encoding)
    return data.decode(encoding, errors="replace")


def detect_encoding(sample: bytes) -> str:
    """Best guess for non-UTF-8 bytes, preferring cp1252 when it is about as plausible.

    charset-normalizer scores every code page it knows; on short Western text obscure DOS and
    Mac pages (cp775, hp_roman8) tie with or beat cp1252 by noise, and its language
    "coherence" barely separates close Latin pages. So only code pages that desktop files
    are actually written in compete, and cp1252 - by far the most common legacy encoding -
    wins unless another candidate is clearly more coherent (Turkish cp1254, for example).
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(sample) if _plausible(m.could_be_from_charset)]
    if not matches:
        return FALLBACK_ENCODING
    best_chaos = min(m.chaos for m in matches)
    candidates = [m for m in matches if m.chaos <= best_chaos + _MAX_CHAOS_GAP]
    top = max(candidates, key=lambda m: (m.coherence, -m.chaos))
    western = [m.coherence for m in candidates if _WESTERN & set(m.could_be_from_charset)]
    if western and max(western) >= top.coherence - _MIN_COHERENCE_LEAD:
        return FALLBACK_ENCODING
    return next(name for name in top.could_be_from_charset if _plausible([name]))


def _plausible(encodings: list[str]) -> bool:
    return any(name.startswith(_PLAUSIBLE_PREFIXES) or name in _PLAUSIBLE for name in encodings)
