"""E-mail messages (.eml, RFC 5322 / MIME) with the standard library's ``email`` package.

The headers people search by (From, To, Subject, Date) form the first segment; the body is
the text/plain parts, or the HTML parts through the HTML extractor when a message has no plain
text. Attachments are named but not opened: their content is another file's business and
could be anything. The module is ``mail`` so it does not shadow the stdlib ``email``.

Headers are read with the ``compat32`` policy, every value cut at ``MAX_HEADER_CHARS``, and
display headers decoded with ``email.header`` (RFC 2047 words only). ``policy.default``'s
structured header parser is super-linear on hostile values: in the hostile-input tests a
50 KB ``To`` header of quote marks took 100 s and a 10 KB ``Content-Type`` 9 s, so a single
spam message held a worker until the time limit. ``compat32`` splits parameters with simple
string scans, and the cut bounds even those: 1,000 parts with 8 KB hostile headers each take
under 2 s. Text parts are decoded with their declared charset, then by detection.
"""

from __future__ import annotations

import email
import logging
from email.header import Header, decode_header
from email.message import Message
from email.policy import Compat32
from pathlib import Path
from typing import Final

from desktop_app.engine.extract.base import (
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    read_limited,
    squash_spaces,
)
from desktop_app.engine.extract.encoding import decode_text
from desktop_app.engine.extract.html import feed_html

log = logging.getLogger(__name__)

HEADERS: Final = ("Subject", "From", "To", "Cc", "Date")
MAX_PARTS: Final = 1000
MAX_SECTION_CHARS: Final = 200
MAX_HEADER_CHARS: Final = 8192
"""A header value is cut here before anything parses it (about 180 recipients of a To)."""


class _BoundedPolicy(Compat32):
    """``compat32`` whose header values never exceed ``MAX_HEADER_CHARS`` (see the module)."""

    # typeshed declares Compat32's override the same way, with the same ignore.
    def header_fetch_parse(self, name: str, value: str) -> str | Header:  # type: ignore[override]
        return super().header_fetch_parse(name, value[:MAX_HEADER_CHARS])


_POLICY: Final = _BoundedPolicy()


def extract_email(path: Path, limits: Limits) -> Document:
    data = read_limited(path, limits.max_bytes)
    message = email.message_from_bytes(data, policy=_POLICY)
    subject = squash_spaces(_header(message, "Subject"))
    section = subject[:MAX_SECTION_CHARS] or None
    builder = DocumentBuilder("email", limits.max_chars)

    header_lines = [f"{name}: {value}" for name in HEADERS if (value := _header(message, name))]
    builder.add_block("\n".join(header_lines), section=section)

    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            log.info("%s: more than %d MIME parts; the rest is ignored", path.name, MAX_PARTS)
            break
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            attachments.append(squash_spaces(_decode_words(filename or "(unnamed)")))
            continue
        content_type = part.get_content_type()
        if content_type == "text/plain":
            plain.append(_part_text(part))
        elif content_type == "text/html":
            html.append(_part_text(part))

    for text in plain:
        builder.add_block(text, section=section)
    if not plain:
        for markup in html:
            feed_html(builder, markup, section=section)
            builder.add("\n", section=section)
    if attachments:
        builder.add_block("Attachments: " + ", ".join(attachments), section=section)
    return builder.build(subject or path.stem)


def _header(message: Message, name: str) -> str:
    """A header as text with its RFC 2047 encoded words decoded; "" when it is absent."""
    value = message.get(name)
    return squash_spaces(_decode_words(value)) if value is not None else ""


def _decode_words(value: str | Header) -> str:
    """Decode RFC 2047 encoded words; raw 8-bit bytes (compat32's "unknown-8bit") as UTF-8."""
    try:
        pieces = decode_header(value)
    except Exception as exc:  # malformed encoded words: the raw text still counts
        log.debug("header not decodable (%s); kept raw", exc)
        pieces = [(str(value), None)]
    text: list[str] = []
    for piece, charset in pieces:
        if isinstance(piece, str):
            text.append(piece.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
            continue
        try:
            text.append(piece.decode(charset or "ascii"))
        except (LookupError, UnicodeDecodeError):  # unknown-8bit, a lying or unknown charset
            text.append(piece.decode("utf-8", "replace"))
    return "".join(text)


def _part_text(part: Message) -> str:
    """Decode one text part with its declared charset, falling back to detection."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return decode_text(payload, part.get_content_charset())
    except ExtractionError:  # a "text" part full of binary; the rest of the message still counts
        log.debug("MIME text part is binary; skipped")
        return ""
