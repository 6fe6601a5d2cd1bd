"""Query syntax, SQL filters and snippet highlighting."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from desktop_app.engine.query import (
    Filters,
    FilterToken,
    QueryError,
    filter_tokens,
    parse_query,
    where_clause,
)
from desktop_app.engine.snippets import Highlighter, make_snippet


def test_plain_words() -> None:
    q = parse_query("Budget review 2025")
    assert (q.text, q.terms, q.phrases, q.excluded) == (
        "Budget review 2025",
        ["budget", "review", "2025"],
        [],
        [],
    )
    assert where_clause(q) is None


def test_phrases_exclusions_and_filters() -> None:
    q = parse_query(
        '"red fox" jumps -lazy ext:pdf,.DOCX type:email in:Projects after:2025-01-01 before:2025-06'
    )
    assert q.phrases == ["red fox"] and q.excluded == ["lazy"]
    assert q.terms == ["red", "fox", "jumps"]
    f = q.filters
    assert f.extensions == ["pdf", "docx"] and f.types == ["email"] and f.folders == ["Projects"]
    assert f.after == dt.datetime(2025, 1, 1).timestamp()
    assert f.before == dt.datetime(2025, 6, 1).timestamp()
    sql = where_clause(q)
    assert sql is not None
    for part in (
        "path ILIKE '%.pdf'",
        "file_type IN ('email')",
        "mtime >= ",
        "mtime < ",
        r"regexp_like(text, '(?i)\bred\W+fox\b')",
        "NOT regexp_like",
    ):
        assert part in sql


def test_absolute_folder_filter_and_quotes_in_values() -> None:
    folder = os.path.join(os.sep, "home", "o'neil", "my_docs")
    q = parse_query(f"in:{folder} notes")
    sql = where_clause(q)
    assert sql is not None and "o''neil" in sql and "my\\_docs" in sql


def test_unknown_filter_is_text_with_a_note() -> None:
    q = parse_query("color:red car")
    assert q.terms == ["color", "red", "car"]
    assert q.notes == ["unknown filter 'color:' searched as text"]


def test_unbalanced_quote_is_dropped() -> None:
    q = parse_query('"open quote here')
    assert q.terms == ["open", "quote", "here"] and q.phrases == []
    assert q.notes == ["an unmatched quote was ignored"]


@pytest.mark.parametrize("query", ["", "   ", "!!! ???", '""', "-"])
def test_no_words(query: str) -> None:
    assert not parse_query(query).has_words


def test_bad_date_is_refused() -> None:
    with pytest.raises(QueryError, match="after: expects a date"):
        parse_query("after:yesterday x")


def test_huge_query_is_bounded() -> None:
    q = parse_query(" ".join(f"word{i}" for i in range(5000)))
    assert len(q.terms) == 64


def test_flag_filters_merge_with_inline_ones() -> None:
    flags = Filters(extensions=["md"])
    q = parse_query("ext:txt notes", filters=flags)
    assert q.filters.extensions == ["md", "txt"]
    assert flags.extensions == ["md"]  # the caller's object is not modified


def test_snippet_highlights_point_at_the_words() -> None:
    text = (
        ("Intro words. " * 40)
        + "The Running dogs chase a red   fox\nthrough snow. "
        + ("Outro words. " * 40)
    )
    highlighter = Highlighter(["run", "fox"], ["red fox"])
    snippet, ranges = make_snippet(text, highlighter, width=120)
    assert snippet.startswith("…") and snippet.endswith("…")
    marked = [snippet[a:b] for a, b in ranges]
    assert "Running" in marked and "red fox" in marked
    assert len(snippet) <= 125


def test_snippet_without_matches_starts_at_the_beginning() -> None:
    snippet, ranges = make_snippet("alpha beta gamma", Highlighter(["zeta"]))
    assert (snippet, ranges) == ("alpha beta gamma", [])


def marked(words: list[str], text: str, phrases: tuple[str, ...] = ()) -> list[str]:
    return [text[a:b] for a, b in Highlighter(words, phrases).ranges(text)]


def test_highlights_mark_whole_words_by_their_stem() -> None:
    text = "Sea views all season; the seas were calm. Seashells by the sea-wall."
    assert marked(["sea"], text) == ["Sea", "seas", "sea"]
    assert marked(["heating"], "The heated pool; heaters; the Heat is on; heath") == [
        "heated",
        "Heat",
    ]
    # The index stems both to "respons": it matched both, so both are marked.
    assert marked(["responsible"], "Who is responsible? Responsibility lies elsewhere.") == [
        "responsible",
        "Responsibility",
    ]


def test_highlights_skip_stop_words_unless_nothing_else_is_asked() -> None:
    text = "Who is responsible for fixing the heating in the flat"
    assert marked(["who", "is", "responsible", "for", "the", "heating"], text) == [
        "responsible",
        "heating",
    ]
    assert marked(["the"], text) == ["the", "the"]


def test_highlights_mark_a_phrase_whole_and_fold_accents() -> None:
    text = "What you see is what you get: WYSIWYG editors. Café culture, cafe prices."
    assert marked(["what", "you", "see"], text, ("what you see is what you get",))[0] == (
        "What you see is what you get"
    )
    assert marked(["café"], text) == ["Café", "cafe"]


def test_filter_tokens_name_each_filter_and_where_it_was_typed() -> None:
    raw = 'budget "in:quoted" EXT:pdf,docx -draft in:/home/me/projects color:red after:2025'
    tokens = filter_tokens(raw)
    assert [(t.name, t.value) for t in tokens] == [
        ("ext", "pdf,docx"),
        ("in", "/home/me/projects"),
        ("after", "2025"),
    ]
    assert [raw[t.start : t.end] for t in tokens] == [
        "EXT:pdf,docx",
        "in:/home/me/projects",
        "after:2025",
    ]
    assert filter_tokens("ext: type:") == [], "a filter needs a value"


def test_filter_token_spans_are_in_the_raw_text_past_an_unmatched_quote() -> None:
    raw = 'say "hi type:pdf ext:md'
    assert filter_tokens(raw) == [
        FilterToken("type", "pdf", 8, 16),
        FilterToken("ext", "md", 17, 23),
    ]
    glued = 'x ext:m"d y'  # the dropped quote sits inside the token: its span keeps it
    (token,) = filter_tokens(glued)
    assert (token.value, glued[token.start : token.end]) == ("md", 'ext:m"d')


def test_the_engine_applies_exactly_the_filters_the_tokens_name() -> None:
    raw = 'type:email notes "ext:txt" ext:md in:Projects before:2025-06 in:/srv/x'
    parsed = parse_query(raw).filters
    tokens = filter_tokens(raw)
    assert parsed.types == [t.value for t in tokens if t.name == "type"] == ["email"]
    assert parsed.extensions == ["md"]
    assert parsed.folders == [t.value for t in tokens if t.name == "in"]
    cut = raw
    for t in reversed(tokens):
        cut = cut[: t.start] + cut[t.end :]
    assert parse_query(cut).filters == Filters(), "cutting every span leaves no filter"
