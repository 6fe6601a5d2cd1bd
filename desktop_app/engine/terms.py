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


class StemMatcher:
    """Finds the words of a text whose stem is one of a few wanted stems, quickly.

    Stemming every word of every candidate chunk cost a search several milliseconds. A Snowball
    English stem keeps all but at most the last letter of its word's beginning ("happi" from
    "happy", "respons" from "responsible"), so one regex over the text finds the few words that
    start like a wanted stem, and only those are stemmed. Text with non-ASCII letters (whose
    accents the index folds away) takes the plain path of stemming every word.
    """

    def __init__(self, wanted: Iterable[str]) -> None:
        self.wanted = set(wanted)
        prefixes = sorted({s[: max(1, len(s) - 1)] for s in self.wanted}, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, prefixes)) + r")\w*", re.I)
            if prefixes
            else None
        )

    def matches(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, stem)`` of each word of ``text`` whose stem is wanted, in order."""
        if self._pattern is None:
            return []
        found = self._pattern.finditer(text) if text.isascii() else WORD.finditer(text)
        wanted = self.wanted
        return [(m.start(), m.end(), s) for m in found if (s := stem(m.group())) in wanted]

    def present(self, text: str) -> set[str]:
        """The wanted stems that occur in ``text`` (the scan stops once all are seen)."""
        if self._pattern is None:
            return set()
        seen: set[str] = set()
        found = self._pattern.finditer(text) if text.isascii() else WORD.finditer(text)
        for match in found:
            word_stem = stem(match.group())
            if word_stem in self.wanted:
                seen.add(word_stem)
                if len(seen) == len(self.wanted):
                    break
        return seen
