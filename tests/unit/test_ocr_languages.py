"""The recognition languages limit the characters OCR may answer with (engine/ocr/languages)."""

from __future__ import annotations

import numpy as np

from desktop_app.engine.ocr.languages import allowed_columns

#: A slice of the real model's alphabet: CTC's blank first and the space last, as RapidOCR
#: lays them out.
ALPHA, FULL_WIDTH_COLON = "\u03b1", "\uff1a"
CHARACTERS = [
    *("blank", "a", "Z", "7", ":", "é", "ł", ALPHA, "€", "“", "≤"),
    *("工", "あ", FULL_WIDTH_COLON, "😀", " "),
]


def kept(languages: tuple[str, ...]) -> list[str] | None:
    columns = allowed_columns(CHARACTERS, languages)
    return None if columns is None else [CHARACTERS[i] for i in columns]


def test_english_keeps_latin_letters_symbols_and_greek_and_drops_other_scripts() -> None:
    assert kept(("en",)) == ["blank", "a", "Z", "7", ":", "é", "ł", ALPHA, "€", "“", "≤", " "]


def test_chinese_among_the_languages_masks_nothing() -> None:
    assert kept(("zh",)) is None
    assert kept(("en", "zh")) is None


def test_the_columns_pick_the_best_allowed_character() -> None:
    """What the mask is for: where the model's first choice is not allowed, its best allowed
    character wins instead of the line losing the character."""
    probabilities = np.zeros((1, 2, len(CHARACTERS)), dtype=np.float32)
    probabilities[0, 0, CHARACTERS.index("工")] = 0.6  # a smudge read as a Chinese character
    probabilities[0, 0, CHARACTERS.index("Z")] = 0.3
    probabilities[0, 1, CHARACTERS.index("a")] = 0.9
    columns = allowed_columns(CHARACTERS, ("en",))
    assert columns is not None
    best = probabilities[..., columns].argmax(axis=2)[0]
    assert [CHARACTERS[columns[i]] for i in best] == ["Z", "a"]
