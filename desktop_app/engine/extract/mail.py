"""E-mail messages (.eml, RFC 5322 / MIME) with the standard library's ``email`` package.

The headers people search by (From, To, Subject, Date) form the first segment; the body is
the text/plain parts, or the HTML parts through the HTML extractor when a message has no plain
text. Attachments are named but not opened: their content is another file's business and
could be anything. The module is ``mail`` so it does not shadow the stdlib ``email``.
"""

from __future__ import annotations

import email
import logging
from email import policy
from email.message import EmailMessage, Message
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


def extract_email(path: Path, limits: Limits) -> Document:
    data = read_limited(path, limits.max_bytes)
    message = email.message_from_bytes(data, policy=policy.default)
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
            attachments.append(squash_spaces(filename or "(unnamed)"))
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
    """A header as text; malformed headers fall back to their raw value instead of failing."""
    try:
        value = message.get(name)
    except Exception as exc:  # the header parser has raised on hostile input before
        log.debug("header %s unparsable: %s", name, exc)
        wanted = name.lower()
        value = next((raw for key, raw in message.raw_items() if key.lower() == wanted), None)
    return squash_spaces(str(value)) if value is not None else ""


def _part_text(part: Message) -> str:
    """Decode one text part; an unknown or lying charset falls back to detection."""
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            if isinstance(content, str):
                return content
        except (LookupError, UnicodeError, ValueError, AssertionError) as exc:
            log.debug("MIME part charset failed (%s); detecting", exc)
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    try:
        return decode_text(payload)
    except ExtractionError:  # a "text" part full of binary; the rest of the message still counts
        log.debug("MIME text part is binary; skipped")
        return ""
