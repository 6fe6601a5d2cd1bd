"""Words as the keyword index sees them: tokens, stop words and English stems.

LanceDB's full-text index lower-cases, folds accents to ASCII and stems with the Snowball
English stemmer ("running" -> "run", "responsible" -> "respons"). Highlights and the keyword
side of relevance use the same steps, so a word lights up exactly when the index matched it:
"sea" does not mark "season" (their stems differ), "heating" marks "heated".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]  # no type information shipped

WORD = re.compile(r"\w+", re.UNICODE)

#: Common English words that carry no topic: they never count as evidence of a match.
STOP_WORDS = frozenset(
    """
a about above after again all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no
nor not now of off on once only or other our ours out over own same she should so some such
than that the their theirs them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours
""".split()
)

_STEMMER = snowballstemmer.stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a Snowball stemmer object keeps state between calls


def fold(word: str) -> str:
    """Lower case without accents ("Café" -> "cafe"), as the index's ASCII folding does."""
    lowered = word.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The index's stem of one word (folded first)."""
    folded = fold(word)
    with _STEMMER_LOCK:
        return str(_STEMMER.stemWord(folded))


def words(text: str) -> Iterator[re.Match[str]]:
    """The word tokens of ``text``, with their positions."""
    return WORD.finditer(text)


def content_terms(terms: Sequence[str]) -> list[str]:
    """The query words that carry a topic (all of them when every word is a stop word)."""
    content = [t for t in terms if fold(t) not in STOP_WORDS]
    return content or list(terms)


def stems(terms: Iterable[str]) -> set[str]:
    return {stem(t) for t in terms}


def text_stems(text: str) -> set[str]:
    """Every stem that occurs in ``text``."""
    return {stem(m.group()) for m in WORD.finditer(text)}
