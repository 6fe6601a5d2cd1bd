"""Safe access to zip-based documents (OOXML, OpenDocument, EPUB) and the XML inside them.

A 200 KB file can declare gigabytes of content (a zip bomb), and the format libraries would
happily inflate it, so every zip is checked from its central directory - the sum of declared
member sizes and the member count - before any library or reader touches it. Python's zip
reader never returns more bytes than a member declares, so the check bounds real memory too.

XML is parsed with the standard library: expat >= 2.4.1 limits entity amplification (billion
laughs), ElementTree never fetches external entities, and on top of that any document that
declares entities is refused, since no format read here needs them.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from pathlib import Path
from typing import Final
from xml.etree import ElementTree as ET

from desktop_app.engine.extract.base import ExtractionError, Limits

log = logging.getLogger(__name__)

MAX_MEMBERS: Final = 50_000
_ENTITY_DECLS: Final = (
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
)


def open_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    """Open ``path`` as a zip after the bomb checks; the caller closes it.

    Raises ``ExtractionError`` with "corrupt" for a broken archive and "too_large" when the
    declared content exceeds ``limits.max_unzipped`` or the member count is absurd.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ExtractionError("corrupt", f"not a valid zip archive ({exc})") from exc
    try:
        check_zip(archive, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse archives whose declared uncompressed size or member count is too big."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ExtractionError("too_large", f"archive has {len(members)} members")
    total = sum(info.file_size for info in members)
    if total > limits.max_unzipped:
        raise ExtractionError(
            "too_large",
            f"archive unpacks to {total} bytes, more than the {limits.max_unzipped} allowed",
        )


def check_zip_file(path: Path, limits: Limits) -> None:
    """``open_zip`` for callers that hand the path to a library afterwards."""
    open_zip(path, limits).close()


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one member; "corrupt" if it is missing or its data is damaged."""
    try:
        return archive.read(name)
    except KeyError as exc:
        raise ExtractionError("corrupt", f"archive member {name!r} is missing") from exc
    except RuntimeError as exc:  # zipfile's "is encrypted, password required"
        raise ExtractionError("encrypted", f"archive member {name!r} is encrypted") from exc
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise ExtractionError("corrupt", f"archive member {name!r} is damaged ({exc})") from exc


def has_member(archive: zipfile.ZipFile, name: str) -> bool:
    try:
        archive.getinfo(name)
    except KeyError:
        return False
    return True


def parse_xml(data: bytes, what: str) -> ET.Element:
    """Parse an XML document from an archive; "corrupt" if it is malformed or declares entities."""
    if any(needle in data for needle in _ENTITY_DECLS):
        raise ExtractionError("corrupt", f"{what} declares XML entities")
    try:
        return ET.fromstring(data)  # noqa: S314 - see the module docstring
    except ET.ParseError as exc:
        raise ExtractionError("corrupt", f"{what} is not well-formed XML ({exc})") from exc


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]
