"""Index keys for file names that are not valid UTF-8 (engine/pathnames.py)."""

from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.engine import pathnames


def test_a_utf8_name_is_its_own_key() -> None:
    for name in ("/home/a/notes.txt", "/home/a/résumé.txt", "/data/日本語/ファイル.md"):
        assert pathnames.key(name) == name
        assert pathnames.os_path(name) == name
        assert pathnames.is_exact(name)
        assert pathnames.display(name) == name
        assert pathnames.as_json(name) == {"path": name}


def test_a_latin1_name_round_trips_and_displays_its_bytes() -> None:
    raw = b"/home/a/caf\xe9 menu.txt"
    path = os.fsdecode(raw)
    key = pathnames.key(path)
    key.encode("utf-8")  # storable: no lone surrogates
    assert key != path and not pathnames.is_exact(key)
    assert pathnames.os_path(key) == path
    assert pathnames.raw_bytes(key) == raw
    assert pathnames.display(key) == "/home/a/caf\\xe9 menu.txt"
    fields = pathnames.as_json(key)
    assert fields["path"] == "/home/a/caf\\xe9 menu.txt"
    assert base64.b64decode(fields["path_b64"]) == raw


def test_keys_keep_the_folder_structure() -> None:
    folder = os.fsdecode(b"/media/usb/\xc4rger")
    child = folder + "/" + os.fsdecode(b"\xfcber.txt")
    assert pathnames.key(child) == pathnames.key(folder) + "/" + pathnames.key(
        os.fsdecode(b"\xfcber.txt")
    )
    assert pathnames.key(child).startswith(pathnames.key(folder) + "/")


def test_a_real_private_use_character_never_shares_a_key_with_a_raw_byte() -> None:
    real = os.fsdecode(b"x\xee\xbe\x80")  # U+EF80 as UTF-8: the code point raw 0x80 maps to
    byte = os.fsdecode(b"x\x80")
    assert pathnames.key(real) != pathnames.key(byte)
    assert pathnames.os_path(pathnames.key(real)) == real
    assert pathnames.os_path(pathnames.key(byte)) == byte


@pytest.mark.parametrize("raw", [b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\xe9\xe9\xe9"])
def test_odd_byte_sequences_round_trip(raw: bytes) -> None:
    path = os.fsdecode(b"/t/" + raw)
    assert pathnames.raw_bytes(pathnames.key(path)) == b"/t/" + raw


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_every_name_round_trips(raw: bytes) -> None:
    path = os.fsdecode(b"/r/" + raw)
    key = pathnames.key(path)
    key.encode("utf-8")
    assert pathnames.os_path(key) == path
    assert pathnames.key(pathnames.os_path(key)) == key
