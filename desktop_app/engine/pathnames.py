"""File names the index can hold whatever bytes they are made of.

On Linux a file name is bytes, and names in Latin-1 or CP1252 (old archives, USB sticks) are
not valid UTF-8. Python hands them over with each undecodable byte as a lone surrogate
(PEP 383), which UTF-8, and so LanceDB's string columns, JSON and Qt, cannot carry. A file
must never be left out for its name, so the engine works with a *key* for every path:

* a name that is valid UTF-8 is its own key (nearly every name: no cost, and indexes made
  before this module read the same);
* each byte that is not part of valid UTF-8 becomes one code point ``U+EF00 + byte`` (so byte
  0xE9 is U+EFE9), in Unicode's private-use area, as in MirBSD's OPTU-8 encoding;
* a name that itself contains a code point of that range (U+EF80..U+EFFF, practically unseen)
  has its UTF-8 bytes escaped the same way, so two different names never share a key.

Keys are valid UTF-8, keep the folder structure (the key of ``folder/name`` is the key of
``folder`` + ``/`` + the key of ``name``), and turn back into the exact name with
:func:`os_path`. People see :func:`display`, where each raw byte is written ``\\xNN``.

Windows names are UTF-16 and may hold lone surrogates too; ``os.fsencode`` turns those into
bytes that are not valid UTF-8, so the same scheme covers them.
"""

from __future__ import annotations

import base64
import os

#: Raw byte b is stored as chr(ESCAPE_BASE + b); only bytes 0x80..0xFF are ever escaped.
ESCAPE_BASE = 0xEF00
_FIRST, _LAST = ESCAPE_BASE + 0x80, ESCAPE_BASE + 0xFF
#: PEP 383: ``bytes.decode("utf-8", "surrogateescape")`` turns byte b into chr(0xDC00 + b).
_SURROGATE_BASE = 0xDC00


def _is_escape(ch: str) -> bool:
    return _FIRST <= ord(ch) <= _LAST


def key(path: str) -> str:
    """The index's key for an OS path (``str`` as ``os`` functions take and return it)."""
    if path.isascii():
        return path  # the common case, checked in C: the name is its own key
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if not any(_is_escape(ch) for ch in path):
            return path
    # Decoding the bytes with surrogateescape tells raw bytes (lone surrogates) from real
    # characters, which valid UTF-8 never makes into surrogates.
    decoded = os.fsencode(path).decode("utf-8", "surrogateescape")
    out = []
    for ch in decoded:
        code = ord(ch)
        if _SURROGATE_BASE + 0x80 <= code <= _SURROGATE_BASE + 0xFF:
            out.append(chr(ESCAPE_BASE + code - _SURROGATE_BASE))
        elif _is_escape(ch):  # a real U+EF80..U+EFFF character: escape its bytes too
            out.extend(chr(ESCAPE_BASE + b) for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def raw_bytes(path_key: str) -> bytes:
    """The exact bytes of the name a key stands for."""
    out = bytearray()
    for ch in path_key:
        if _is_escape(ch):
            out.append(ord(ch) - ESCAPE_BASE)
        else:
            out += ch.encode("utf-8")
    return bytes(out)


def os_path(path_key: str) -> str:
    """The OS path for a key, ready for ``open``, ``os.stat`` or a subprocess argument."""
    if path_key.isascii() or is_exact(path_key):
        return path_key
    return os.fsdecode(raw_bytes(path_key))


def is_exact(path_key: str) -> bool:
    """Whether the key is the name itself (valid UTF-8, nothing escaped)."""
    return path_key.isascii() or not any(_is_escape(ch) for ch in path_key)


def display(path_key: str) -> str:
    """The name for people: valid UTF-8, each byte that is not written ``\\xNN``."""
    if is_exact(path_key):
        return path_key
    return raw_bytes(path_key).decode("utf-8", "backslashreplace")


def b64(path_key: str) -> str:
    """The name's exact bytes in base64: what JSON output adds when :func:`is_exact` is false."""
    return base64.b64encode(raw_bytes(path_key)).decode("ascii")


def as_json(path_key: str, field: str = "path") -> dict[str, str]:
    """How JSON output carries a path: ``field`` in display form, and, only when that is not
    the exact name, ``field + "_b64"`` with its exact bytes (see docs/ARCHITECTURE.md)."""
    if is_exact(path_key):
        return {field: path_key}
    return {field: display(path_key), f"{field}_b64": b64(path_key)}
