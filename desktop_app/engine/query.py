"""Parse what the user typed into search text, must-have phrases, exclusions and filters.

Syntax (any order, combinable):

* ``"exact phrase"``: a result must contain the words in this order;
* ``-word``: a result must not contain the word (when a phrase or an exclusion leaves no
  result at all, the search shows results without it and says so in a note);
* ``ext:pdf`` (or ``ext:pdf,docx``), ``type:email``: file extension or document family;
* ``in:FOLDER``: an absolute folder, or a folder name anywhere in the path;
* ``after:2025-01-01``, ``before:2025-06`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, local time):
  modification date.

Everything is turned into one SQL ``WHERE`` clause that LanceDB applies *inside* the vector
and full-text searches (prefiltering), so filters never shrink a result list after the fact.
Bad input never raises a parse error: an unknown ``name:value`` is searched as text (with a
note), an unbalanced quote is dropped. Only a bad date is refused, since guessing it would
silently hide files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

from desktop_app.engine.errors import UserFacingError
from desktop_app.engine.pathnames import key

FILTER_NAMES = ("ext", "type", "in", "after", "before")
#: The full-text query is cut to this many distinct terms (a pasted page is still a query).
MAX_TERMS = 64
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


class QueryError(UserFacingError, ValueError):
    """The query cannot be understood; the message says what to change."""


@dataclass
class Filters:
    extensions: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    after: float | None = None
    before: float | None = None

    def copy(self) -> Filters:
        return Filters(
            list(self.extensions), list(self.types), list(self.folders), self.after, self.before
        )


@dataclass
class ParsedQuery:
    raw: str
    #: Free text for embedding and keyword search (phrases included, filters removed).
    text: str
    terms: list[str]
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    notes: list[str] = field(default_factory=list)
    #: The words outside quoted phrases.
    loose_terms: list[str] = field(default_factory=list)

    @property
    def has_words(self) -> bool:
        return bool(self.terms)


@dataclass(frozen=True)
class FilterToken:
    """One ``name:value`` filter as typed, with where it sits in the raw text.

    The window shows each as a removable chip and cuts ``raw[start:end]`` out when the chip is
    removed, so the positions are in the text the user typed (an unmatched quote included).
    """

    #: ``ext``, ``type``, ``in``, ``after`` or ``before`` (lower case, whatever was typed).
    name: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class _Token:
    """One piece of the query: a quoted ``phrase`` or a whitespace-free ``word``."""

    start: int
    end: int
    phrase: str | None
    word: str


def _tokens(raw: str) -> tuple[list[_Token], bool]:
    """The query's pieces in order, positions in ``raw``; and whether a quote was unmatched.

    The one reading of the grammar: :func:`parse_query` and :func:`filter_tokens` both go
    through here, so the chips the window shows are exactly the filters the search applies.
    An unmatched quote (the last one) is dropped before the text is cut into pieces.
    """
    dropped = raw.rfind('"') if raw.count('"') % 2 else -1
    text = raw if dropped < 0 else raw[:dropped] + raw[dropped + 1 :]

    def at(i: int, end: bool) -> int:  # a position in ``text`` -> the same one in ``raw``
        return i if dropped < 0 or i < dropped or (end and i == dropped) else i + 1

    tokens = [
        _Token(at(m.start(), False), at(m.end(), True), m.group(1), m.group(2) or "")
        for m in _TOKEN.finditer(text)
    ]
    return tokens, dropped >= 0


def _as_filter(token: _Token) -> tuple[str, str] | None:
    """``(name, value)`` when the piece is a known filter with a value, else ``None``."""
    if token.phrase is not None:
        return None
    name, sep, value = token.word.partition(":")
    if sep and name.lower() in FILTER_NAMES and value:
        return name.lower(), value
    return None


def filter_tokens(raw: str) -> list[FilterToken]:
    """The filters typed in ``raw``, in order, each with its span in ``raw``."""
    found: list[FilterToken] = []
    for token in _tokens(raw)[0]:
        named = _as_filter(token)
        if named is not None:
            found.append(FilterToken(named[0], named[1], token.start, token.end))
    return found


def parse_query(raw: str, *, filters: Filters | None = None) -> ParsedQuery:
    """Parse ``raw``; ``filters`` (from CLI flags or the UI) are merged with inline ones."""
    notes: list[str] = []
    tokens, unmatched = _tokens(raw)
    if unmatched:
        notes.append("an unmatched quote was ignored")
    merged = (filters or Filters()).copy()
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    loose: list[str] = []  # words outside quotes
    for token_ in tokens:
        phrase, token = token_.phrase, token_.word
        if phrase is not None:
            if _WORD.search(phrase):
                phrases.append(" ".join(phrase.split()))
                words.append(phrase)
            continue
        named = _as_filter(token_)
        if named is not None:
            _apply_filter(merged, *named)
        elif token.startswith("-") and len(token) > 1 and _WORD.fullmatch(token[1:]):
            excluded.append(token[1:])
        else:
            name, sep, value = token.partition(":")
            if sep and name and value and name.isalpha() and not name.lower().startswith("http"):
                notes.append(f"unknown filter '{name}:' searched as text")
            words.append(token)
            loose.append(token)
    free = " ".join(words)
    terms = list(dict.fromkeys(t.lower() for t in _WORD.findall(free)))[:MAX_TERMS]
    loose_terms = list(dict.fromkeys(t.lower() for t in _WORD.findall(" ".join(loose))))
    return ParsedQuery(raw, free, terms, phrases, excluded, merged, notes, loose_terms)


def _apply_filter(filters: Filters, name: str, value: str) -> None:
    if name == "ext":
        filters.extensions += [v.lower().lstrip(".") for v in value.split(",") if v.strip(".")]
    elif name == "type":
        filters.types += [v.lower() for v in value.split(",") if v]
    elif name == "in":
        filters.folders.append(value)
    elif name == "after":
        filters.after = parse_date(value, name)
    else:
        filters.before = parse_date(value, name)


def parse_date(value: str, name: str = "date") -> float:
    """Local midnight of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a Unix timestamp."""
    for pattern in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            day = dt.datetime.strptime(value, pattern)
        except ValueError:
            continue
        return day.timestamp()
    raise QueryError(f"{name}: expects a date like 2025-01-31, 2025-01 or 2025 (got {value!r})")


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _word_regex(words: str) -> str:
    """A case-insensitive regex for these words in order, any whitespace or punctuation between."""
    parts = [re.escape(w) for w in _WORD.findall(words)]
    return r"(?i)\b" + r"\W+".join(parts) + r"\b"


def where_clause(
    query: ParsedQuery, *, phrases: bool = True, exclusions: bool = True
) -> str | None:
    """The SQL filter for LanceDB's prefilter, or ``None`` when nothing restricts the search.

    ``phrases=False`` / ``exclusions=False`` leave out the quoted phrases / the ``-word``
    exclusions: the search falls back to that when they leave nothing, rather than answering
    with an empty list, and ranks by a phrase quoted inside a longer question (see search.py).
    """
    # Here, not at the top: the window builds Filters at start-up, before numpy and lancedb.
    from desktop_app.engine.store import sql_string

    clauses: list[str] = []
    f = query.filters
    if f.extensions:
        clauses.append(
            "("
            + " OR ".join(
                f"path ILIKE {sql_string('%.' + _like_escape(e))} ESCAPE '\\'" for e in f.extensions
            )
            + ")"
        )
    if f.types:
        clauses.append(f"file_type IN ({', '.join(sql_string(t) for t in f.types)})")
    sep = _like_escape(os.sep)
    for folder in f.folders:
        folder = key(folder.rstrip("/\\") or folder)
        if os.path.isabs(folder):
            pattern = _like_escape(folder) + sep + "%"
            clauses.append(f"path LIKE {sql_string(pattern)} ESCAPE '\\'")
        else:
            pattern = "%" + sep + _like_escape(folder) + sep + "%"
            clauses.append(f"path ILIKE {sql_string(pattern)} ESCAPE '\\'")
    if f.after is not None:
        clauses.append(f"mtime >= {f.after}")
    if f.before is not None:
        clauses.append(f"mtime < {f.before}")
    for phrase in query.phrases if phrases else ():
        clauses.append(f"regexp_like(text, {sql_string(_word_regex(phrase))})")
    for word in query.excluded if exclusions else ():
        clauses.append(f"NOT regexp_like(text, {sql_string(_word_regex(word))})")
    return " AND ".join(clauses) if clauses else None
