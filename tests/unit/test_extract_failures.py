"""Files that must fail do so with the right reason, quickly and without leaking resources."""

from __future__ import annotations

import os
import pickle
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine.extract import REASONS, ExtractionError, extract
from tests.helpers.corpus import make_bad_files, patch_declared_sizes, real_bomb, zip_of


def _failure(path: Path, **kwargs: Any) -> ExtractionError:
    """The ExtractionError that extracting ``path`` raises (the test fails if it raises none)."""
    with pytest.raises(ExtractionError) as caught:
        extract(path, **kwargs)
    return caught.value


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, str]:
    return make_bad_files(tmp_path_factory.mktemp("bad"))


BAD_NAMES = [
    "archive.zip",
    "blank.md",
    "blob.bin",
    "bomb.docx",
    "broken.epub",
    "broken.odt",
    "empty.txt",
    "encrypted.pdf",
    "garbled.pdf",
    "junk.docx",
    "locked.docx",
    "locked.odt",
    "notazip.xlsx",
    "notrtf.rtf",
    "random.txt",
    "scanned.pdf",
    "truncated.pdf",
]


def test_bad_file_list_is_complete(bad_files: dict[Path, str]) -> None:
    assert sorted(path.name for path in bad_files) == BAD_NAMES
    assert set(bad_files.values()) <= set(REASONS)
    assert all(path.stat().st_size < 200_000 for path in bad_files)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_file_fails_with_its_reason(name: str, bad_files: dict[Path, str]) -> None:
    path = next(p for p in bad_files if p.name == name)
    error = _failure(path)
    assert error.reason == bad_files[path], str(error)
    assert error.message


def test_file_over_max_bytes_is_too_large_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    assert _failure(path, max_bytes=1000).reason == "too_large"
    assert extract(path, max_bytes=10_000).text.startswith("word word")


def test_real_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    path.write_bytes(real_bomb(16 << 20))  # 16 MiB of zeros in a few KB
    max_bytes = 200_000  # unpacked limit: 20 x 200 KB = 4 MB
    assert path.stat().st_size < max_bytes  # so it is the unzip check, not the size check
    started = time.perf_counter()
    error = _failure(path, max_bytes=max_bytes)
    assert error.reason == "too_large"
    assert "unpacks to" in error.message
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("liar.docx", "word/document.xml"),
        ("liar.xlsx", "xl/workbook.xml"),
        ("liar.odt", "content.xml"),
        ("liar.epub", "META-INF/container.xml"),
    ],
)
def test_member_lying_about_its_size_is_corrupt_with_bounded_memory(
    tmp_path: Path, name: str, member: str
) -> None:
    path = tmp_path / name
    # 32 MiB of real zeros that claim to be 1 KB: passes the declared-size check, and a
    # whole-member read (what the format libraries do) would inflate all 32 MiB at once.
    path.write_bytes(patch_declared_sizes(real_bomb(32 << 20, member), 1000))
    tracemalloc.start()
    try:
        error = _failure(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == "corrupt"
    assert peak < 8 << 20


def test_directory_is_unreadable(tmp_path: Path) -> None:
    assert _failure(tmp_path).reason == "unreadable"


def test_vanished_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    path.write_text("here for a moment")
    path.unlink()
    assert _failure(path).reason == "unreadable"


def test_permission_denied_is_unreadable_unless_root(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("private words")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root (as in CI containers) reads anyway
            assert extract(path).text == "private words"
        else:
            assert _failure(path).reason == "unreadable"
    finally:
        path.chmod(0o600)


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<lolz>&lol3;</lolz>"
    )
    path = tmp_path / "laughs.odt"
    path.write_bytes(zip_of({"mimetype": b"application/vnd.oasis.opendocument.text",
                             "content.xml": laughs}))  # fmt: skip
    assert _failure(path).reason == "corrupt"


def test_drm_epub_is_encrypted(tmp_path: Path) -> None:
    container = (
        b'<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        b'<rootfile full-path="content.opf"/></rootfiles></container>'
    )
    opf = (
        b'<package xmlns="http://www.idpf.org/2007/opf"><manifest>'
        b'<item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest>'
        b'<spine><itemref idref="c"/></spine></package>'
    )
    encryption = (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        b'<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        b'<enc:CipherData><enc:CipherReference URI="c.xhtml"/></enc:CipherData>'
        b"</enc:EncryptedData></encryption>"
    )
    path = tmp_path / "drm.epub"
    path.write_bytes(
        zip_of(
            {
                "mimetype": b"application/epub+zip",
                "META-INF/container.xml": container,
                "META-INF/encryption.xml": encryption,
                "content.opf": opf,
                "c.xhtml": os.urandom(64),
            }
        )
    )
    assert _failure(path).reason == "encrypted"


def test_deeply_nested_document_does_not_crash(tmp_path: Path) -> None:
    depth = 5000
    content = (
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        b"<office:text><text:p>"
        + b"<text:span>" * depth
        + b"deep words"
        + b"</text:span>" * depth
        + b"</text:p></office:text></office:body></office:document-content>"
    )
    path = tmp_path / "deep.odt"
    path.write_bytes(zip_of({"content.xml": content}))
    assert extract(path).text == "deep words"


def test_runaway_csv_quote_keeps_the_raw_text(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('a,b\n1,"never closed ' + "x" * 200_000 + "\n2,ok\n")
    document = extract(path)
    assert document.text.startswith('a,b\n1,"never closed')


def test_extraction_error_reasons_are_checked_and_pickle() -> None:
    with pytest.raises(ValueError, match="unknown extraction failure reason"):
        ExtractionError("broken", "nope")
    error = pickle.loads(pickle.dumps(ExtractionError("encrypted", "needs a password")))
    assert (error.reason, error.message) == ("encrypted", "needs a password")
    assert str(error) == "encrypted: needs a password"


SECRET = b"Quarterly salary of Jane Doe 88123"


def _docx_variant(tmp_path: Path, name: str, member: str, edit: bytes | None) -> Path:
    """A real Word document with one part replaced (``edit``) or removed (None)."""
    import docx

    source = tmp_path / "source.docx"
    document = docx.Document()
    document.add_paragraph(SECRET.decode())
    document.save(str(source))
    target = tmp_path / name
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == member:
                if edit is None:
                    continue
                data = edit
            zout.writestr(info.filename, data)
    return target


@pytest.mark.parametrize(
    ("member", "edit", "says"),
    [
        # A body whose text breaks the XML: lxml's message quotes the text as a tag name.
        ("word/document.xml", b"<w:document><" + SECRET + b"></w:document>", "malformed XML"),
        # Relationships naming a part that is not there: the error quotes the part name.
        (
            "word/_rels/document.xml.rels",
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/styles" Target="'
            + SECRET
            + b'.xml"/></Relationships>',
            "missing",
        ),
        ("word/document.xml", None, "missing"),
    ],
)
def test_failure_messages_describe_the_fault_without_document_content(
    tmp_path: Path, member: str, edit: bytes | None, says: str
) -> None:
    path = _docx_variant(tmp_path, "broken.docx", member, edit)
    error = _failure(path)
    assert error.reason == "corrupt"
    assert says in error.message
    for word in (b"Quarterly", b"salary", b"Jane", b"88123"):
        assert word.decode() not in error.message, error.message
