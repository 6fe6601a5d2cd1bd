"""Split a document into passages that fit the embedding model's window.

Chunks are built from whole paragraphs, then whole sentences, and only as a last resort from
word windows, packed greedily up to ``max_tokens`` counted with the model's own tokenizer (a
chunk never exceeds the window, so nothing is silently cut off when it is embedded). Each chunk
keeps its exact character span in the document text, so a result can show and highlight the
passage, plus the page and section it starts in. Consecutive chunks overlap by a sentence or
two (``overlap_tokens``) so a phrase that straddles a boundary is still found whole.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from desktop_app.engine.extract import Document

TokenCounter = Callable[[str], int]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"')\]]*\s+|\n")  # noqa: RUF001 (CJK marks)
#: WordPiece averages well over 3 characters per token; used to size word windows cheaply.
_CHARS_PER_TOKEN_GUESS = 3


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    char_start: int
    char_end: int
    page: int | None
    section: str | None
    tokens: int

    @property
    def hash(self) -> str:
        """Identity of the text for the vector cache: same text, same vector."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int


def chunk_document(
    document: Document,
    count_tokens: TokenCounter,
    max_tokens: int,
    overlap_tokens: int = 32,
) -> list[Chunk]:
    """Chunks of ``document`` of at most ``max_tokens`` tokens each, in text order."""
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    overlap_tokens = max(0, min(overlap_tokens, max_tokens // 4))
    text = document.text
    page_starts, pages = _page_boundaries(document)
    chunks: list[Chunk] = []
    for lo, hi in _page_ranges(page_starts, len(text)):
        units = list(_units(text, lo, hi, count_tokens, max_tokens))
        for start, end, tokens in _pack(units, max_tokens, overlap_tokens):
            body = text[start:end]
            section = _section_at(document, start)
            page = pages[bisect.bisect_right(page_starts, start) - 1] if pages else None
            chunks.append(Chunk(len(chunks), body, start, end, page, section, tokens))
    return chunks


def distinct_chunks(chunks: list[Chunk], limit: int) -> tuple[list[Chunk], int]:
    """The first ``limit`` chunks of distinct text, renumbered, and how many distinct there are.

    Why: a degenerate file (20 MB of one repeated word made 26,334 chunks) would otherwise
    fill the index and crowd every result list with copies of itself. A passage that repeats
    within a file adds nothing a search can use, so each text is kept once (where it first
    occurs), and a file keeps at most ``limit`` passages; the caller records the cut.
    """
    seen: set[str] = set()
    kept: list[Chunk] = []
    for chunk in chunks:
        digest = chunk.hash
        if digest in seen:
            continue
        seen.add(digest)
        if len(kept) < limit:
            kept.append(
                chunk if chunk.index == len(kept) else dataclasses.replace(chunk, index=len(kept))
            )
    return kept, len(seen)


def truncation_note(kept: int, distinct: int) -> str:
    """The manifest message of a file cut at ``max_chunks_per_file`` (shown to the user)."""
    return (
        f"{kept:,} of {distinct:,} distinct passages indexed "
        "(the limit per file: setting max_chunks_per_file)"
    )


def _page_boundaries(document: Document) -> tuple[list[int], list[int | None]]:
    """Start offsets where the page number changes (chunks never straddle two pages)."""
    starts: list[int] = []
    pages: list[int | None] = []
    for segment in document.segments:
        if not pages or segment.page != pages[-1]:
            starts.append(segment.start)
            pages.append(segment.page)
    if starts:
        starts[0] = 0
    return starts, pages


def _page_ranges(starts: list[int], length: int) -> Iterator[tuple[int, int]]:
    bounds = [*starts, length] if starts else [0, length]
    for lo, hi in itertools.pairwise(bounds):
        if hi > lo:
            yield lo, hi


def _section_at(document: Document, offset: int) -> str | None:
    for segment in document.segments:
        if segment.start <= offset < segment.end:
            return segment.section
    return None


def _spans(pattern: re.Pattern[str], text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Pieces of ``text[lo:hi]`` between matches of ``pattern``, stripped of whitespace."""
    pos = lo
    for match in pattern.finditer(text, lo, hi):
        yield from _strip(text, pos, match.start())
        pos = match.end()
    yield from _strip(text, pos, hi)


def _strip(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def _units(text: str, lo: int, hi: int, count: TokenCounter, max_tokens: int) -> Iterator[_Unit]:
    """Paragraphs, or the sentences / word windows of paragraphs too long for one chunk."""
    for p_start, p_end in _spans(_PARAGRAPH_BREAK, text, lo, hi):
        tokens = _count_bounded(text, p_start, p_end, count, max_tokens)
        if tokens <= max_tokens:
            yield _Unit(p_start, p_end, tokens)
            continue
        for s_start, s_end in _spans(_SENTENCE_END, text, p_start, p_end):
            tokens = _count_bounded(text, s_start, s_end, count, max_tokens)
            if tokens <= max_tokens:
                yield _Unit(s_start, s_end, tokens)
            else:
                yield from _word_windows(text, s_start, s_end, count, max_tokens)


def _count_bounded(text: str, start: int, end: int, count: TokenCounter, limit: int) -> int:
    """Token count, without tokenizing megabytes just to learn they are over ``limit``."""
    if end - start > limit * 12:
        return limit + 1
    return count(text[start:end])


def _word_windows(
    text: str, start: int, end: int, count: TokenCounter, max_tokens: int
) -> Iterator[_Unit]:
    """Cut an over-long run of text at whitespace into pieces that fit (linear time)."""
    pos = start
    target = max_tokens * _CHARS_PER_TOKEN_GUESS
    while pos < end:
        cut = min(end, pos + target)
        while True:
            if cut < end:
                space = text.rfind(" ", pos + 1, cut)
                if space > pos:
                    cut = space
            tokens = count(text[pos:cut])
            if tokens <= max_tokens or cut - pos <= 1:
                break
            cut = pos + max(1, (cut - pos) * max_tokens // (tokens + 1))
        for s, e in _strip(text, pos, cut):
            yield _Unit(s, e, count(text[s:e]) if (s, e) != (pos, cut) else tokens)
        pos = cut


def _pack(
    units: list[_Unit], max_tokens: int, overlap_tokens: int
) -> Iterator[tuple[int, int, int]]:
    """Greedily join units into ``(start, end, tokens)`` chunks, with trailing-unit overlap."""
    current: list[_Unit] = []
    used = 0
    for unit in units:
        if current and used + unit.tokens > max_tokens:
            yield current[0].start, current[-1].end, used
            carried: list[_Unit] = []
            carried_tokens = 0
            for previous in reversed(current):
                if carried_tokens + previous.tokens > overlap_tokens:
                    break
                carried.insert(0, previous)
                carried_tokens += previous.tokens
            if carried_tokens + unit.tokens > max_tokens:
                carried, carried_tokens = [], 0
            current, used = carried, carried_tokens
        current.append(unit)
        used += unit.tokens
    if current:
        yield current[0].start, current[-1].end, used
