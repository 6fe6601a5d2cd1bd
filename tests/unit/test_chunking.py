"""Chunking: bounded by the token count, exact spans, pages respected, overlap."""

from __future__ import annotations

import itertools

import pytest

from desktop_app.engine.chunking import chunk_document
from desktop_app.engine.extract import Document, Segment


def words(text: str) -> int:
    return len(text.split())


def doc(text: str, segments: list[Segment] | None = None) -> Document:
    return Document(text, segments or [Segment(0, len(text), None, None)], "t", "text")


def test_spans_are_exact_and_bounded() -> None:
    paragraphs = [" ".join(f"p{i}w{j}" for j in range(7 + i % 5)) + "." for i in range(40)]
    text = "\n\n".join(paragraphs)
    chunks = chunk_document(doc(text), words, max_tokens=30, overlap_tokens=0)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.tokens == words(chunk.text) <= 30
    covered = " ".join(c.text for c in chunks)
    for paragraph in paragraphs:
        assert paragraph in covered
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_overlap_repeats_trailing_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = chunk_document(doc(text), words, max_tokens=40, overlap_tokens=10)
    for previous, following in itertools.pairwise(chunks):
        assert following.char_start < previous.char_end  # they overlap
        assert following.char_start > previous.char_start


def test_long_run_without_breaks_is_cut_at_words() -> None:
    text = " ".join(f"w{i}" for i in range(5000))
    chunks = chunk_document(doc(text), words, max_tokens=100, overlap_tokens=0)
    assert all(c.tokens <= 100 for c in chunks)
    assert sum(c.tokens for c in chunks) == 5000


def test_single_giant_word_never_exceeds_the_bound() -> None:
    text = "x" * 50_000

    def chars(t: str) -> int:
        return len(t) // 4 + 1

    chunks = chunk_document(doc(text), chars, max_tokens=64, overlap_tokens=0)
    assert all(chars(c.text) <= 64 for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_chunks_never_straddle_pages_and_carry_page_numbers() -> None:
    page1 = "alpha beta gamma. " * 5
    page2 = "delta epsilon zeta. " * 5
    text = page1 + page2
    segments = [Segment(0, len(page1), 1, "Intro"), Segment(len(page1), len(text), 2, "Body")]
    chunks = chunk_document(doc(text, segments), words, max_tokens=200)
    assert [(c.page, c.section) for c in chunks] == [(1, "Intro"), (2, "Body")]
    assert "delta" not in chunks[0].text


def test_empty_and_whitespace_documents_give_no_chunks() -> None:
    assert chunk_document(doc("   \n\n  "), words, max_tokens=50) == []


def test_rejects_silly_bounds() -> None:
    with pytest.raises(ValueError):
        chunk_document(doc("a b c"), words, max_tokens=2)


def test_hash_identifies_text() -> None:
    a = chunk_document(doc("same words here"), words, max_tokens=50)[0]
    b = chunk_document(doc("same words here"), words, max_tokens=50)[0]
    c = chunk_document(doc("other words here"), words, max_tokens=50)[0]
    assert a.hash == b.hash != c.hash
