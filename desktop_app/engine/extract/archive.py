"""Safe access to zip-based documents (OOXML, OpenDocument, EPUB) and the XML inside them.

A 200 KB file can declare gigabytes of content (a zip bomb), and the format libraries would
happily inflate it, so every zip is checked from its central directory - the sum of declared
member sizes and the member count - before any library or reader touches it. Python's zip
reader never returns more bytes than a member declares, and members are read in bounded
chunks (``verify_members`` proves sizes before a library reads whole members), so a member
that lies about its size fails its CRC check instead of filling memory.

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

from desktop_app.engine.extract.base import ExtractionError, Limits, fault

log = logging.getLogger(__name__)

MAX_MEMBERS: Final = 50_000
# Zip-bomb ratio (Apache POI's rule): a member that declares more than RATIO_GRACE_BYTES may
# inflate to at most MAX_MEMBER_RATIO times its compressed size. ``Limits.max_unzipped`` (1 GB
# at the default file size) bounds the inflated bytes, not what parsing them costs: a 128 KB ODT
# whose content.xml is 50 MB of short paragraphs took 12 s and 600 MB of worker memory to parse,
# and at the cap it would take minutes and gigabytes. Real documents inflate 3-20x, bombs
# 1000x; small, very repetitive parts are normal, hence the grace size.
MAX_MEMBER_RATIO: Final = 100
RATIO_GRACE_BYTES: Final = 4 << 20
READ_CHUNK: Final = 1 << 20
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
    except (PermissionError, FileNotFoundError):
        raise  # the file, not its content, is the problem: "unreadable" upstream
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        # OSError here is a seek to an impossible offset from a damaged directory.
        raise ExtractionError("corrupt", f"not a valid zip archive ({fault(exc)})") from exc
    try:
        check_zip(archive, limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse archives whose declared size, member count or inflation ratio is too big."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ExtractionError("too_large", f"archive has {len(members)} members")
    total = sum(info.file_size for info in members)
    if total > limits.max_unzipped:
        raise ExtractionError(
            "too_large",
            f"archive unpacks to {total} bytes, more than the {limits.max_unzipped} allowed",
        )
    for info in members:
        size = info.file_size
        if size > RATIO_GRACE_BYTES and size > MAX_MEMBER_RATIO * info.compress_size:
            raise ExtractionError(
                "too_large",
                f"archive member {info.filename!r} inflates {size} bytes from "
                f"{info.compress_size} (a zip bomb?)",
            )


def check_zip_file(path: Path, limits: Limits) -> None:
    """Bomb checks plus ``verify_members``, for callers that hand the path to a library."""
    with open_zip(path, limits) as archive:
        verify_members(archive)


def verify_members(archive: zipfile.ZipFile) -> None:
    """Inflate every member once in bounded chunks, proving its declared size and CRC.

    Format libraries read whole members with ``ZipFile.read``, which inflates the compressed
    data in one call and only then cuts it to the declared size: a member that declares 1 KB
    but inflates to gigabytes would spike memory before the cut. Reading in chunks first costs
    one extra decompression pass (milliseconds for ordinary documents) and turns such a lie
    into a CRC error ("corrupt") with memory bounded by the chunk size.
    """
    for info in archive.infolist():
        if not info.is_dir():
            _read_chunked(archive, info, keep=False)


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one member in bounded chunks; "corrupt" if it is missing or damaged."""
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise ExtractionError("corrupt", f"archive member {name!r} is missing") from exc
    return _read_chunked(archive, info, keep=True)


def _read_chunked(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, keep: bool) -> bytes:
    chunks: list[bytes] = []
    try:
        with archive.open(info) as member:
            while chunk := member.read(READ_CHUNK):
                if keep:
                    chunks.append(chunk)
    except RuntimeError as exc:  # zipfile's "is encrypted, password required"
        raise ExtractionError(
            "encrypted", f"archive member {info.filename!r} is encrypted"
        ) from exc
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as exc:
        raise ExtractionError("corrupt", f"an archive member is damaged ({fault(exc)})") from exc
    return b"".join(chunks)


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
        raise ExtractionError("corrupt", f"{what} is not well-formed XML ({fault(exc)})") from exc


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]
