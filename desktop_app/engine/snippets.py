"""Snippets around the best match, with the query terms marked for highlighting.

The window is the stretch of a chunk that holds the most query-term matches (words are matched
by their stem-ish prefix, since the keyword index stems "running" to "run"), cut at word
boundaries, with whitespace folded. Highlights are ``(start, end)`` character ranges into the
returned snippet string, so the CLI's JSON and the GUI's delegate mark exactly the same text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SNIPPET_CHARS = 240
_SPACES = re.compile(r"\s+")
Ranges = list[tuple[int, int]]


def term_pattern(terms: Sequence[str], phrases: Sequence[str] = ()) -> re.Pattern[str] | None:
    """One regex matching any query word (by prefix) or phrase, case-insensitively."""
    alternatives = []
    for phrase in phrases:
        words = re.findall(r"\w+", phrase)
        if words:
            alternatives.append(r"\W+".join(re.escape(w) for w in words) + r"\w*")
    for term in terms:
        if len(term) < 2 and not term.isdigit():
            continue
        stem = term[: max(3, len(term) - 2)] if len(term) > 4 else term
        alternatives.append(re.escape(stem) + r"\w*")
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)  # longest first: phrases win over their words
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE)


def highlight_ranges(text: str, pattern: re.Pattern[str] | None) -> Ranges:
    if pattern is None:
        return []
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def make_snippet(
    text: str, pattern: re.Pattern[str] | None, width: int = SNIPPET_CHARS
) -> tuple[str, Ranges]:
    """The best ``width``-character window of ``text`` and its highlight ranges."""
    matches = highlight_ranges(text, pattern)
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
