"""Snippets around the best match, with the query terms marked for highlighting.

The window is the stretch of a chunk that holds the most query-term matches (words are matched
by the stem the keyword index used, see :mod:`terms`), cut at word boundaries, with whitespace
folded. Highlights are ``(start, end)`` character ranges into the returned snippet string, so
the CLI's JSON and the GUI's delegate mark exactly the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from desktop_app.engine import terms

SNIPPET_CHARS = 240
_SPACES = re.compile(r"\s+")
Ranges = list[tuple[int, int]]


class Highlighter:
    """Marks the query's words in a text by the stem the keyword index matched them by.

    A word is marked when its stem is one of the query's content stems ("heating" for
    "heated", never "season" for "sea"); a quoted phrase is marked whole where its words
    occur in order. Stop words are not marked unless the query has nothing else.
    """

    def __init__(self, words: Sequence[str], phrases: Sequence[str] = ()) -> None:
        content = [w for w in terms.content_terms(list(words)) if len(w) > 1 or w.isdigit()]
        self.matcher = terms.StemMatcher(terms.stems(content))
        self._ranges: dict[str, Ranges] = {}
        self.phrases = [
            [terms.stem(w) for w in terms.WORD.findall(p)] for p in phrases if terms.WORD.search(p)
        ]

    def ranges(self, text: str) -> Ranges:
        """``(start, end)`` of every marked word or phrase in ``text``, in order (remembered:
        a file's best chunk is both its snippet and its first passage)."""
        known = self._ranges.get(text)
        if known is None:
            known = self._ranges[text] = self._find(text)
        return list(known)

    def _find(self, text: str) -> Ranges:
        marked: Ranges = []
        if self.phrases:
            tokens = [(m.start(), m.end(), terms.stem(m.group())) for m in terms.words(text)]
            for phrase in self.phrases:
                size = len(phrase)
                for i in range(len(tokens) - size + 1):
                    if all(tokens[i + j][2] == phrase[j] for j in range(size)):
                        marked.append((tokens[i][0], tokens[i + size - 1][1]))
        inside = sorted(marked)
        for start, end, _ in self.matcher.matches(text):
            if not any(a <= start and end <= b for a, b in inside):
                marked.append((start, end))
        return sorted(marked)


def highlight_ranges(text: str, highlighter: Highlighter | None) -> Ranges:
    return highlighter.ranges(text) if highlighter is not None else []


def make_snippet(
    text: str, highlighter: Highlighter | None, width: int = SNIPPET_CHARS
) -> tuple[str, Ranges]:
    """The best ``width``-character window of ``text`` and its highlight ranges."""
    matches = highlight_ranges(text, highlighter)
    start = _best_start(text, matches, width)
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    if start > 0:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space >= 0 else start
    snippet = _fold(text[start:end]).rstrip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    ranges: Ranges = []
    for m_start, m_end in matches:
        if m_start >= start and m_end <= end:
            # Offsets in the folded text: fold what precedes the match and the match itself.
            offset = len(prefix) + len(_fold(text[start:m_start]))
            ranges.append((offset, offset + len(_fold(text[m_start:m_end]))))
    return prefix + snippet + suffix, ranges


def _best_start(text: str, matches: Ranges, width: int) -> int:
    """Start of the window containing the most matches (the first match a little inset)."""
    if not matches or len(text) <= width:
        return 0
    best, best_count = matches[0][0], 0
    j = 0
    for i, (m_start, _) in enumerate(matches):
        while j < len(matches) and matches[j][1] <= m_start + width:
            j += 1
        if j - i > best_count:
            best, best_count = m_start, j - i
    return max(0, min(best - width // 6, len(text) - width))


def _fold(text: str) -> str:
    """Whitespace runs folded to one space, leading whitespace dropped."""
    return _SPACES.sub(" ", text).lstrip()
