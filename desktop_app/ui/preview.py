"""The preview's page for one hit: its best passages, laid out as the document lays them out.

A passage is a chunk's text exactly as the extractor produced it (``engine/chunking.py``
cuts ``document.text[start:end]``), so its newlines, list markers, quoted replies, e-mail
headers and Markdown syntax are all still there. Shown as one run of text they read as noise
(``# Notes``, ``[the report](http://...)``); this module turns the lines back into structure:
paragraphs, line breaks, lists, quotes, header tables, code in ``<pre>``, and for Markdown the
headings, emphasis and links without their syntax. Why a small converter of our own rather
than ``QTextDocument.setMarkdown``: the query's words are character ranges in the passage
text, and only a converter that keeps every shown character's offset can still mark them.

Everything from the document is HTML-escaped (a file or query holding ``<b>`` or ``&quot;``
shows it literally). Pure functions, no widgets: ``widgets/preview_pane.py`` shows the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit, Passage

#: Families shown whole as preformatted text: their line layout is their meaning.
PREFORMATTED: Final = frozenset({"code", "json", "log"})
#: Families whose inline syntax (emphasis, links, code spans) is rendered, not shown.
MARKDOWN: Final = frozenset({"markdown"})

_FENCE: Final = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX: Final = re.compile(r" {0,3}(#{1,6})(?:[ \t]+|$)")
_SETEXT: Final = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RST_ADORNMENT: Final = re.compile(r"([=\-`:'\"~^_*+#<>.])\1{2,}[ \t]*$")
_RULE: Final = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST: Final = re.compile(r"([ \t]*)([-*+•◦▪‣–]|(\d{1,9})[.)])[ \t]+(?=\S)")  # noqa: RUF001
_QUOTE: Final = re.compile(r"(?:[ \t]{0,3}>[ \t]?)+")
_HEADER: Final = re.compile(
    r"(From|To|Cc|Bcc|Subject|Date|Sent|Reply-To):[ \t]*(?=\S)", re.IGNORECASE
)
_FIELD: Final = re.compile(r"([A-Za-z0-9_-]{1,40}):[ \t]*")
_TABLE_RULE: Final = re.compile(
    r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$"
)
_CELL_BAR: Final = re.compile(r"(?<!\\)\|")
_INLINE: Final = re.compile(
    r"(?P<tick>`+)(?P<code>.+?)(?P=tick)"
    r"|!\[(?P<alt>[^\]\n]*)\]\([^)\n]*\)"
    r"|\[(?P<link>[^\]\n]+)\](?:\([^)\n]*\)|\[[^\]\n]*\])"
    r"|<(?P<auto>(?:https?|mailto|ftp):[^>\s]+)>"
    r"|(?P<sd>\*\*|__)(?=\S)(?P<strong>.+?)(?<=\S)(?P=sd)"
    r"|~~(?=\S)(?P<strike>.+?)(?<=\S)~~"
    r"|\*(?=[^\s*])(?P<em>.+?)(?<=[^\s*])\*"
    r"|(?<![A-Za-z0-9_])_(?=[^\s_])(?P<em2>.+?)(?<=[^\s_])_(?![A-Za-z0-9_])"
    r"|\\(?P<escaped>[\\`*_{}\[\]()#+\-.!>|~<])"
)
_WRAPS: Final = {"strong": "b", "strike": "s", "em": "i", "em2": "i"}


@dataclass(frozen=True)
class PreviewColors:
    """Colours the page needs beyond the view's own text colour (which it inherits), taken
    from the palette by the pane so a dark palette reads as well as a light one."""

    muted: str = "#808080"
    #: Background behind the query's words ("" = bold only): tells them from the
    #: document's own bold.
    mark: str = ""


#: A piece of inline output: a span of the passage (escaped, marked) or ready-made markup.
Piece = tuple[int, int] | str


class _Passage:
    """One passage's text, its highlight ranges and how its family is shown."""

    def __init__(self, text: str, marks: list[tuple[int, int]], family: str, colors: PreviewColors):
        self.text = text
        self.family = family
        self.markdown = family in MARKDOWN
        self.colors = colors
        self.marks: list[tuple[int, int]] = []
        for start, end in sorted((int(a), int(b)) for a, b in marks):
            if end > start and (not self.marks or start >= self.marks[-1][1]):
                self.marks.append((start, end))
        self.lines: list[tuple[int, int]] = []
        pos = 0
        for line in text.split("\n"):
            self.lines.append((pos, pos + len(line)))
            pos += len(line) + 1

    def line(self, i: int) -> str:
        start, end = self.lines[i]
        return self.text[start:end]

    def blank(self, i: int) -> bool:
        return i >= len(self.lines) or not self.line(i).strip()

    def plain(self, start: int, end: int) -> str:
        """``text[start:end]`` escaped, the query's words inside it marked."""
        out: list[str] = []
        pos = start
        opening = f"<b style='background-color:{self.colors.mark}'>" if self.colors.mark else "<b>"
        for m_start, m_end in self.marks:
            if m_end <= pos or m_start >= end:
                continue
            a, b = max(m_start, pos), min(m_end, end)
            out.append(html.escape(self.text[pos:a]))
            out.append(f"{opening}{html.escape(self.text[a:b])}</b>")
            pos = b
        out.append(html.escape(self.text[pos:end]))
        return "".join(out)

    def inline(self, start: int, end: int) -> str:
        """A line's content: Markdown's inline syntax rendered (for Markdown), marks kept."""
        if not self.markdown:
            return self.plain(start, end)
        return "".join(
            p if isinstance(p, str) else self.plain(*p) for p in self._pieces(start, end)
        )

    def _pieces(self, start: int, end: int) -> list[Piece]:
        pieces: list[Piece] = []
        pos = start
        for match in _INLINE.finditer(self.text, start, end):
            if match.start() > pos:
                pieces.append((pos, match.start()))
            pos = match.end()
            if match.group("code") is not None:
                pieces += ["<code>", match.span("code"), "</code>"]
            elif match.group("escaped") is not None:
                pieces.append(match.span("escaped"))
            elif match.group("auto") is not None:
                pieces.append(match.span("auto"))
            elif match.group("alt") is not None or match.group("link") is not None:
                group = "alt" if match.group("alt") is not None else "link"
                pieces += self._pieces(*match.span(group))
            else:
                name = next(n for n in _WRAPS if match.group(n) is not None)
                tag = _WRAPS[name]
                pieces += [f"<{tag}>", *self._pieces(*match.span(name)), f"</{tag}>"]
        if end > pos:
            pieces.append((pos, end))
        return pieces

    def content(self, i: int, skip: int = 0) -> str:
        """Line ``i`` from column ``skip``: leading indentation kept (as non-breaking spaces)
        outside Markdown, where it is layout; trailing spaces dropped."""
        start, end = self.lines[i]
        start = min(start + skip, end)
        body = self.text[start:end].rstrip()
        stripped = body.lstrip(" \t")
        indent = body[: len(body) - len(stripped)]
        start += len(indent)
        pad = "" if self.markdown else "&nbsp;" * len(indent.expandtabs(4))
        return pad + self.inline(start, start + len(stripped))


def passage_html(
    passage: Passage, family: str, colors: PreviewColors | None = None, *, first: bool = False
) -> str:
    """One passage as HTML; ``first`` when it starts the document (front matter, headers)."""
    page = _Passage(passage.text, list(passage.highlights), family, colors or PreviewColors())
    if family in PREFORMATTED:
        return _pre(page.plain(0, len(page.text)))
    return "".join(_blocks(page, first))


def body_html(hit: FileHit, colors: PreviewColors | None = None) -> str:
    """The pane's body: each passage with where it is (page, or a section its text does not
    already show) above it, separated by rules. The file's name, folder and facts are the
    pane's header, so none of them is repeated here."""
    parts: list[str] = []
    muted = (colors or PreviewColors()).muted
    for passage in hit.passages:
        if parts:
            parts.append("<hr>")
        where = f"Page {passage.page}" if passage.page else ""
        section = passage.section or ""
        if section and section not in passage.text:
            where = f"{where} · {section}" if where else section
        if where:
            style = f"color:{muted}; font-size:small; margin:0 0 4px 0"
            parts.append(f"<p style='{style}'>{html.escape(where)}</p>")
        parts.append(passage_html(passage, hit.file_type, colors, first=passage.char_start == 0))
    return "".join(parts)


# -- blocks ------------------------------------------------------------------------------------


def _pre(body: str) -> str:
    return f"<pre style='white-space:pre-wrap; margin:0 0 8px 0'>{body}</pre>"


def _blocks(page: _Passage, first: bool) -> list[str]:
    out: list[str] = []
    i, n = 0, len(page.lines)
    if first and page.markdown and page.line(0).rstrip() == "---":
        i = _front_matter(page, out)
    blocks = (_fenced, _headers, _heading, _rule, _table, _listing, _quote)
    while i < n:
        if page.blank(i):
            i += 1
            continue
        # The first kind of block that starts at line i takes its lines; else a paragraph.
        step = next((s for block in blocks if (s := block(page, i, out, first and not out))), 0)
        i += step or _paragraph(page, i, out)
    return out


def _starts_block(page: _Passage, i: int) -> bool:
    """Does line ``i`` begin something other than a paragraph's next line?"""
    line = page.line(i)
    if _FENCE.match(line) or _LIST.match(line) or _QUOTE.match(line) or _header_run(page, i) > 1:
        return True
    return _heading_lines(page, i) > 0 or (page.markdown and bool(_RULE.match(line)))


def _paragraph(page: _Passage, i: int, out: list[str]) -> int:
    """Lines up to a blank one or another block: line breaks kept, except in Markdown,
    where a paragraph's lines flow (as Markdown renders them)."""
    j = i + 1
    while j < len(page.lines) and not page.blank(j) and not _starts_block(page, j):
        j += 1
    joint = " " if page.markdown else "<br>"
    out.append(f"<p>{joint.join(page.content(k) for k in range(i, j))}</p>")
    return j - i


def _fenced(page: _Passage, i: int, out: list[str], _first: bool) -> int:
    opening = _FENCE.match(page.line(i))
    if opening is None:
        return 0
    fence = opening.group(1)
    j = i + 1
    while j < len(page.lines):
        closing = _FENCE.match(page.line(j))
        if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
            break
        j += 1
    if j > i + 1:
        start, end = page.lines[i + 1][0], page.lines[j - 1][1]
        out.append(_pre(page.plain(start, end)))
    return min(j + 1, len(page.lines)) - i


def _header_run(page: _Passage, i: int) -> int:
    j = i
    while j < len(page.lines) and _HEADER.match(page.line(j)):
        j += 1
    return j - i


def _headers(page: _Passage, i: int, out: list[str], first: bool) -> int:
    """An e-mail's From / To / Subject / Date lines (a message, or one forwarded inside a
    text) as a small two-column table: the names muted, the values as text."""
    count = _header_run(page, i)
    if count < 2 and not (count and first and page.family == "email"):
        return 0
    out.append(_fields(page, [(k, _HEADER.match(page.line(k))) for k in range(i, i + count)]))
    return count


def _fields(page: _Passage, rows: list[tuple[int, re.Match[str] | None]]) -> str:
    cells: list[str] = []
    for k, match in rows:
        start, end = page.lines[k]
        if match is None:
            name, value = "", page.inline(start, end)
        else:
            name = page.plain(start, start + len(match.group(1)))
            value = page.inline(start + match.end(), end)
        cells.append(
            f"<tr><td style='color:{page.colors.muted}; padding-right:8px'>{name}</td>"
            f"<td>{value}</td></tr>"
        )
    return (
        f"<table cellspacing='0' cellpadding='1' style='margin-bottom:8px'>{''.join(cells)}</table>"
    )


def _front_matter(page: _Passage, out: list[str]) -> int:
    """A Markdown file's leading ``---`` block of ``key: value`` lines, shown as fields."""
    j = 1
    while j < len(page.lines) and page.line(j).rstrip() not in ("---", "..."):
        j += 1
    rows = [(k, _FIELD.match(page.line(k))) for k in range(1, j) if not page.blank(k)]
    if rows:
        out.append(_fields(page, rows))
    return min(j + 1, len(page.lines))


def _heading_lines(page: _Passage, i: int) -> int:
    """How many lines the heading starting at ``i`` takes (0: no heading there)."""
    line = page.line(i)
    below = page.line(i + 1) if i + 1 < len(page.lines) else ""
    if page.markdown:
        if _ATX.match(line):
            return 1
        if _SETEXT.match(below) and not _LIST.match(line) and not _QUOTE.match(line):
            return 2
    elif page.family == "rst":
        after = page.line(i + 2) if i + 2 < len(page.lines) else ""
        if _RST_ADORNMENT.match(line) and below.strip() and after.rstrip() == line.rstrip():
            return 3
        if _RST_ADORNMENT.match(below) and len(below.rstrip()) >= len(line.rstrip()) > 0:
            return 2
    return 0


def _heading(page: _Passage, i: int, out: list[str], _first: bool) -> int:
    """A heading without its ``#`` marks or underline: bold, a step larger for the top
    levels (the file's name above stays the largest text)."""
    count = _heading_lines(page, i)
    if not count:
        return 0
    row = i + 1 if count == 3 else i
    start, end = _trimmed(page, *page.lines[row])
    level = 2
    atx = _ATX.match(page.text, start, end) if page.markdown and count == 1 else None
    if atx:  # "## Title ##": the marks go, a closing run only after a space
        level = len(atx.group(1))
        start = atx.end()
        bare = page.text[start:end].rstrip("#")
        if not bare or bare[-1] in " \t":
            end = start + len(bare.rstrip())
    elif page.markdown:
        level = 1 if page.line(i + 1).lstrip().startswith("=") else 2
    size = " font-size:large;" if level == 1 else ""
    text = page.inline(start, end)
    out.append(f"<p style='font-weight:600;{size} margin:8px 0 4px 0'>{text}</p>")
    return count


def _rule(page: _Passage, i: int, out: list[str], _first: bool) -> int:
    if not page.markdown or not _RULE.match(page.line(i)):
        return 0
    out.append("<hr>")
    return 1


def _cells(page: _Passage, i: int) -> list[tuple[int, int]]:
    start, end = page.lines[i]
    line = page.line(i)
    if page.family == "csv":
        separator = "\t" if "\t" in line and " | " not in line else " | "
        pattern = re.compile(re.escape(separator))
    else:
        pattern = _CELL_BAR
    spans: list[tuple[int, int]] = []
    pos = start
    for match in pattern.finditer(page.text, start, end):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, end))
    if page.family != "csv":  # the bars at the ends of a Markdown row bound no cell
        if spans and not page.text[spans[0][0] : spans[0][1]].strip():
            spans = spans[1:]
        if spans and not page.text[spans[-1][0] : spans[-1][1]].strip():
            spans = spans[:-1]
    return spans


def _table(page: _Passage, i: int, out: list[str], first: bool) -> int:
    """Markdown tables (``| a | b |``) and CSV rows (joined with " | " by the extractor)."""
    if page.family != "csv" and not page.markdown:
        return 0
    j = i
    while j < len(page.lines) and not page.blank(j) and _row(page, j):
        j += 1
    if j - i < 2 and page.family != "csv":
        return 0
    head = first and page.family == "csv"  # a CSV file's first row names its columns
    rows: list[str] = []
    for k in range(i, j):
        if _TABLE_RULE.match(page.line(k)):
            head = True if k == i + 1 else head
            continue
        cells = "".join(
            f"<td style='padding:1px 6px 1px 0'>{page.inline(*_trimmed(page, s, e))}</td>"
            for s, e in _cells(page, k)
        )
        rows.append(f"<tr>{cells}</tr>")
    if head and rows:
        rows[0] = rows[0].replace("<td style='", "<td style='font-weight:600; ")
    out.append(
        f"<table cellspacing='0' cellpadding='1' style='margin-bottom:8px'>{''.join(rows)}</table>"
    )
    return j - i


def _row(page: _Passage, i: int) -> bool:
    line = page.line(i)
    if page.family == "csv":
        return " | " in line or "\t" in line
    return line.lstrip().startswith("|")


def _trimmed(page: _Passage, start: int, end: int) -> tuple[int, int]:
    cell = page.text[start:end]
    return start + len(cell) - len(cell.lstrip()), max(start, start + len(cell.rstrip()))


def _listing(page: _Passage, i: int, out: list[str], _first: bool) -> int:
    """Consecutive list items (and their continuation lines) as HTML lists: bullets, the
    document's own numbers, nesting by indentation."""
    if not _LIST.match(page.line(i)):
        return 0
    items: list[tuple[int, int | None, list[str]]] = []  # (indent, number, lines)
    j = i
    while j < len(page.lines):
        match = _LIST.match(page.line(j))
        if match:
            number = int(match.group(3)) if match.group(3) else None
            indent = len(match.group(1).expandtabs(4))
            items.append((indent, number, [page.content(j, match.end())]))
        elif not page.blank(j) and not _starts_block(page, j):
            items[-1][2].append(page.content(j))
        elif page.blank(j) and j + 1 < len(page.lines) and _LIST.match(page.line(j + 1)):
            pass  # a loose list: a blank line between two items
        else:
            break
        j += 1
    joint = " " if page.markdown else "<br>"
    levels: list[int] = []
    parts: list[str] = []
    kind: tuple[int, bool] | None = None  # (depth, numbered) of the open list
    for indent, number, lines in items:
        while levels and indent < levels[-1]:
            levels.pop()
        if not levels or indent > levels[-1]:
            levels.append(indent)
        if kind != (len(levels), number is not None):
            parts.append(_list_end(kind))
            kind = (len(levels), number is not None)
            style = f"-qt-list-indent:{kind[0]}; margin-top:0; margin-bottom:6px"
            bullet = _BULLETS[(kind[0] - 1) % 3]
            parts.append(
                f"<ol start='{number}' style='{style}'>"
                if number is not None
                else f"<ul style='list-style-type:{bullet}; {style}'>"
            )
        parts.append(f"<li>{joint.join(lines)}</li>")
    out.append("".join(parts) + _list_end(kind))
    return j - i


def _list_end(kind: tuple[int, bool] | None) -> str:
    return "" if kind is None else "</ol>" if kind[1] else "</ul>"


_BULLETS: Final = ("disc", "circle", "square")


def _quote(page: _Passage, i: int, out: list[str], _first: bool) -> int:
    """Quoted lines (``>``, an e-mail's reply or Markdown's block quote): indented by their
    depth and muted, without the markers."""
    if not _QUOTE.match(page.line(i)):
        return 0
    j = i
    groups: list[tuple[int, list[str]]] = []
    while j < len(page.lines) and (match := _QUOTE.match(page.line(j))):
        depth = match.group(0).count(">")
        text = page.content(j, match.end())
        if groups and groups[-1][0] == depth:
            groups[-1][1].append(text)
        else:
            groups.append((depth, [text]))
        j += 1
    joint = " " if page.markdown else "<br>"
    for depth, lines in groups:
        shown = [line for line in lines if line]
        if shown:
            out.append(
                f"<p style='margin:0 0 6px {14 * depth}px; color:{page.colors.muted}'>"
                f"{joint.join(shown)}</p>"
            )
    return j - i
