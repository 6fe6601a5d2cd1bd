"""Recognition languages as a limit on the characters the recogniser may answer with.

The bundled recognition model reads one alphabet of about 18,700 characters: Latin, Greek,
Chinese, some Japanese kana, symbols, emoji. On an English page its rare mistakes can be
characters no English page holds (a smudge read as a Chinese character, a colon read as its
full-width form), which then match nothing a person types. So the ``ocr_languages`` setting
decides which characters the recogniser may choose from: the model's per-position
probabilities are cut down to the allowed characters' columns before the best one is picked,
so the most likely allowed character wins. Why a mask and not a filter on the text: a
filter would delete the wrong character, the mask replaces it by the likeliest allowed one.
Why columns kept rather than others zeroed: ``en`` keeps 989 of 18,710 characters,
and copying those is cheaper than writing zeros over the rest (11 MB per line of text).

* ``en``: English, and Latin letters generally (ASCII, Latin-1 and Latin Extended-A/B,
  which cover Western and Central European accents), Greek letters (English technical text
  uses them as symbols: alpha, mu, omega), typographic punctuation, currency, letter-like symbols,
  arrows and mathematical operators.
* ``zh``: Chinese; the model's whole alphabet (Chinese text mixes in Latin letters, digits
  and full-width forms), so with ``zh`` among the languages nothing is masked.

Pure Python and numpy on the model's character list; no OCR library is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

#: Unicode ranges (first, last code point) each language may produce; None: every character.
SCRIPTS: Final[dict[str, tuple[tuple[int, int], ...] | None]] = {
    "en": (
        (0x0020, 0x024F),  # ASCII, Latin-1 Supplement, Latin Extended-A and -B
        (0x0370, 0x03FF),  # Greek letters, as symbols
        (0x2000, 0x206F),  # general punctuation: dashes, curly quotes, bullets, ellipsis
        (0x20A0, 0x20CF),  # currency symbols (€)
        (0x2100, 0x22FF),  # letter-like symbols (™), number forms, arrows, math operators
    ),
    "zh": None,
}
#: What every language keeps: CTC's "blank" (no character here) and the space.
ALWAYS: Final = frozenset({"blank", " "})


def allowed_columns(characters: Sequence[str], languages: Sequence[str]) -> np.ndarray | None:
    """The indices of the model's characters that ``languages`` allow, in order, or None
    when they allow every one (nothing to mask)."""
    ranges: list[tuple[int, int]] = []
    for language in languages:
        script = SCRIPTS.get(language)
        if script is None:  # "zh", or a language this table does not know: mask nothing
            return None
        ranges.extend(script)
    keep = np.fromiter(
        (
            char in ALWAYS or all(any(lo <= ord(c) <= hi for lo, hi in ranges) for c in char)
            for char in characters
        ),
        dtype=bool,
        count=len(characters),
    )
    return None if keep.all() else np.flatnonzero(keep)
