"""Plain-text families: text, Markdown, reStructuredText, CSV/TSV, JSON, logs and source code.

The text is kept as written (markup included: ``**bold**`` still tokenizes to "bold"), so
offsets point at what the user sees when the file opens. What the families add is structure:
Markdown and RST headings become sections (and the first one the title), and CSV rows are
re-joined with " | " so a row reads as one line whatever the delimiter or quoting was.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    Limits,
    clean_text,
    read_limited,
    squash_spaces,
)
from desktop_app.engine.extract.encoding import decode_text

log = logging.getLogger(__name__)

MAX_HEADING_CHARS: Final = 200
CSV_SEPARATOR: Final = " | "
CSV_DELIMITERS: Final = (",", ";", "\t", "|")

# Closing "#"s are stripped in ``_atx_title``: a regex for them backtracks quadratically.
_ATX_HEADING: Final = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*))?$")
_SETEXT_UNDERLINE: Final = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RST_ADORNMENT: Final = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1+[ \t]*$")

# A heading: (line index where its segment starts, heading text).
Heading = tuple[int, str]


def read_text(path: Path, limits: Limits) -> str:
    """Read and decode a text file, newlines normalised to ``\\n``."""
    return clean_text(decode_text(read_limited(path, limits.max_bytes)))


def extract_plain(path: Path, limits: Limits, file_type: str) -> Document:
    """Text, logs, JSON and code: the decoded text as one segment, titled by the file name."""
    builder = DocumentBuilder(file_type, limits.max_chars)
    builder.add(read_text(path, limits))
    return builder.build(path.stem)


def extract_markdown(path: Path, limits: Limits) -> Document:
    return _extract_sectioned(path, limits, "markdown", markdown_headings)


def extract_rst(path: Path, limits: Limits) -> Document:
    return _extract_sectioned(path, limits, "rst", rst_headings)


def extract_csv(path: Path, limits: Limits) -> Document:
    """One line per row; CSV cells joined by " | ", TSV kept with its tabs."""
    text = read_text(path, limits)
    builder = DocumentBuilder("csv", limits.max_chars)
    if path.suffix.lower() in (".tsv", ".tab"):
        builder.add(text)
    else:
        builder.add(_rejoin_csv(text))
    return builder.build(path.stem)


def markdown_headings(lines: list[str]) -> list[Heading]:
    """ATX (``# x``) and setext (underlined) headings outside code fences and front matter."""
    headings: list[Heading] = []
    start = _front_matter_end(lines)
    fence: str | None = None
    for i in range(start, len(lines)):
        line = lines[i]
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        atx = _ATX_HEADING.match(line)
        if atx:
            headings.append((i, _atx_title(atx.group(1) or "")))
        elif (
            _SETEXT_UNDERLINE.match(line)
            and i > start
            and lines[i - 1].strip()
            and not _ATX_HEADING.match(lines[i - 1])
            and (not headings or headings[-1][0] != i - 1)
        ):
            headings.append((i - 1, lines[i - 1]))
    return _clean_headings(headings)


def rst_headings(lines: list[str]) -> list[Heading]:
    """Underlined (optionally overlined) section titles, the adornment at least title-long."""
    headings: list[Heading] = []
    for i in range(1, len(lines)):
        title = lines[i - 1]
        if not _RST_ADORNMENT.match(lines[i]) or not title.strip():
            continue
        if _RST_ADORNMENT.match(title) or title[:1].isspace():
            continue
        if len(lines[i].rstrip()) < len(title.rstrip()):
            continue
        overlined = i >= 2 and lines[i - 2].rstrip() == lines[i].rstrip()
        headings.append((i - 2 if overlined else i - 1, title))
    return _clean_headings(headings)


def _extract_sectioned(
    path: Path, limits: Limits, file_type: str, find: Callable[[list[str]], list[Heading]]
) -> Document:
    text = read_text(path, limits)
    lines = text.split("\n")
    headings = find(lines)
    builder = DocumentBuilder(file_type, limits.max_chars)
    for section, chunk in _split_by_headings(lines, headings):
        builder.add(chunk, section=section)
    return builder.build(headings[0][1] if headings else path.stem)


def _split_by_headings(
    lines: list[str], headings: list[Heading]
) -> Iterator[tuple[str | None, str]]:
    """Yield (section, text) spans that together reproduce the text exactly."""
    bounds = [(0, None)] + [(line, title) for line, title in headings]
    for k, (first, section) in enumerate(bounds):
        last = bounds[k + 1][0] if k + 1 < len(bounds) else len(lines)
        if last > first:
            chunk = "\n".join(lines[first:last])
            yield section, chunk + ("\n" if last < len(lines) else "")


def _atx_title(text: str) -> str:
    """``Title ##`` -> ``Title``: a closing run of "#" counts only after whitespace."""
    text = text.rstrip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1] in " \t"):
        return bare.rstrip()
    return text


def _clean_headings(headings: list[Heading]) -> list[Heading]:
    cleaned: list[Heading] = []
    for line, title in headings:
        text = squash_spaces(title)[:MAX_HEADING_CHARS]
        if text and (not cleaned or line > cleaned[-1][0]):
            cleaned.append((line, text))
    return cleaned


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after a leading YAML front-matter block (0 if none)."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return i + 1
    return 0


def _rejoin_csv(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    if not first_line.count(delimiter):
        return text
    out = io.StringIO()
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            out.write(CSV_SEPARATOR.join(cell.strip() for cell in row))
            out.write("\n")
    except csv.Error as exc:  # e.g. a runaway quoted field; the raw text is still searchable
        log.debug("CSV parse failed (%s); keeping the raw text", exc)
        return text
    return out.getvalue()
