"""Choose the extractor for a file and turn every failure into an ``ExtractionError``.

The extension decides first, because it is what the user chose; content sniffing decides
when there is no known extension, and overrules a text extension when the bytes are plainly
a PDF, an RTF or a known zip-based document (a PDF saved as ``.txt`` is still a PDF). This is
also the one place that maps unexpected library exceptions to reasons, so one hostile file
ends as a manifest entry, never as a crashed worker.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Final

from desktop_app.engine.extract import (
    epub,
    html,
    image,
    mail,
    office,
    opendocument,
    pdf,
    rtf,
    text,
)
from desktop_app.engine.extract.archive import has_member, open_zip
from desktop_app.engine.extract.base import (
    Document,
    ExtractionError,
    Limits,
    fault,
)
from desktop_app.engine.extract.encoding import SNIFF_BYTES, bom_encoding, looks_binary
from desktop_app.engine.extract.registry import (
    OOXML_FAMILIES,
    TEXT_FAMILIES,
    family_by_name,
)
from desktop_app.engine.pathnames import display, key

log = logging.getLogger(__name__)

Extractor = Callable[[Path, Limits], Document]

CFB_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
PDF_MAGIC: Final = b"%PDF-"
ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06")
RTF_MAGIC: Final = b"{\\rtf"
_HTML_STARTS: Final = (b"<!doctype html", b"<html>", b"<html ", b"<html\n", b"<html\r")
_EMAIL_HEADER: Final = re.compile(
    rb"^(?:return-path|received|from|to|subject|date|message-id|mime-version|delivered-to"
    rb"|reply-to|x-[a-z0-9-]+):[ \t]",
    re.I,
)

EXTRACTORS: Final[dict[str, Extractor]] = {
    "text": partial(text.extract_plain, file_type="text"),
    "log": partial(text.extract_plain, file_type="log"),
    "json": partial(text.extract_plain, file_type="json"),
    "code": partial(text.extract_plain, file_type="code"),
    "markdown": text.extract_markdown,
    "rst": text.extract_rst,
    "csv": text.extract_csv,
    "html": html.extract_html,
    "pdf": pdf.extract_pdf,
    "docx": office.extract_docx,
    "pptx": office.extract_pptx,
    "xlsx": office.extract_xlsx,
    "odt": partial(opendocument.extract_opendocument, file_type="odt"),
    "ods": partial(opendocument.extract_opendocument, file_type="ods"),
    "odp": partial(opendocument.extract_opendocument, file_type="odp"),
    "epub": epub.extract_epub,
    "rtf": rtf.extract_rtf,
    "email": mail.extract_email,
    "image": image.extract_image,
}


def extract_file(path: Path, limits: Limits) -> Document:
    """Extract ``path`` within ``limits``; see ``base.extract`` for the contract."""
    size = _regular_file_size(path)
    if size > limits.max_bytes:
        raise ExtractionError(
            "too_large", f"{size} bytes, more than the {limits.max_bytes} allowed"
        )
    if size == 0:
        raise ExtractionError("no_text", "the file is empty")
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
        family = choose_family(path, head, limits)
        log.debug("%s: extracting as %s", path, family)
        return EXTRACTORS[family](path, limits)
    except ExtractionError:
        raise
    except MemoryError as exc:
        raise ExtractionError("too_large", "ran out of memory while extracting") from exc
    except RecursionError as exc:
        raise ExtractionError("corrupt", "structure nested too deeply") from exc
    except OSError as exc:
        raise ExtractionError("unreadable", f"could not read the file ({fault(exc)})") from exc
    except Exception as exc:
        log.info("%s: %s while extracting", display(key(str(path))), type(exc).__name__)
        raise ExtractionError("corrupt", fault(exc)) from exc


def choose_family(path: Path, head: bytes, limits: Limits) -> str:
    """The format family for a file, from its name and its first bytes."""
    by_name = family_by_name(path)
    if by_name in OOXML_FAMILIES and head.startswith(CFB_MAGIC):
        # Office stores password-protected OOXML as an encrypted package inside OLE2.
        raise ExtractionError("encrypted", "password-protected Office document")
    if by_name is not None and by_name not in TEXT_FAMILIES:
        return by_name
    sniffed = sniff_binary(path, head, limits)
    if sniffed is not None:
        return sniffed
    if by_name is not None:
        return by_name
    return sniff_text(head)


def sniff_binary(path: Path, head: bytes, limits: Limits) -> str | None:
    """A family recognised by magic bytes (PDF, RTF, zip-based documents), else None."""
    if head.startswith(PDF_MAGIC):
        return "pdf"
    if head.startswith(RTF_MAGIC):
        return "rtf"
    if head.startswith(ZIP_MAGICS):
        return _sniff_zip(path, limits)
    return None


def sniff_text(head: bytes) -> str:
    """Family of a file with no known extension whose magic bytes said nothing."""
    if bom_encoding(head) is None and looks_binary(head):
        raise ExtractionError("unsupported", "unknown binary format")
    probe = head.removeprefix(b"\xef\xbb\xbf")
    if _looks_like_html(probe):
        return "html"
    if _EMAIL_HEADER.match(probe) and b"\n\n" in probe.replace(b"\r\n", b"\n"):
        return "email"
    return "text"


def _looks_like_html(head: bytes) -> bool:
    """Starts with a doctype or <html>, after any comments (skipped without a regex, which
    would backtrack exponentially over many comments)."""
    probe = head.lstrip()
    while probe.startswith(b"<!--"):
        end = probe.find(b"-->")
        if end < 0:
            return False
        probe = probe[end + 3 :].lstrip()
    return probe[:16].lower().startswith(_HTML_STARTS)


def _sniff_zip(path: Path, limits: Limits) -> str:
    """Which document lives in this zip; a plain archive is "unsupported"."""
    with open_zip(path, limits) as archive:
        if has_member(archive, "word/document.xml"):
            return "docx"
        if has_member(archive, "ppt/presentation.xml"):
            return "pptx"
        if has_member(archive, "xl/workbook.xml"):
            return "xlsx"
        if has_member(archive, "mimetype"):
            try:
                with archive.open("mimetype") as member:
                    mimetype = member.read(128).decode("ascii", "replace").strip()
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                raise ExtractionError(
                    "corrupt", f"unreadable mimetype member ({fault(exc)})"
                ) from exc
            if mimetype == epub.MIMETYPE:
                return "epub"
            if mimetype in opendocument.MIMETYPES:
                return opendocument.MIMETYPES[mimetype]
    raise ExtractionError("unsupported", "a zip archive, not a known document format")


def _regular_file_size(path: Path) -> int:
    try:
        info = path.stat()
    except OSError as exc:
        raise ExtractionError("unreadable", f"cannot access the file ({exc.strerror})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ExtractionError("unreadable", "not a regular file")
    if not os.access(path, os.R_OK):
        raise ExtractionError("unreadable", "permission denied")
    return info.st_size
