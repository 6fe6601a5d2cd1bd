"""Format details: names and sniffing, encodings, headings, tables, and the document builder."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from desktop_app.engine.extract import ExtractionError, extract, family_for, supported_extensions
from desktop_app.engine.extract.base import DocumentBuilder
from desktop_app.engine.extract.registry import CODE_EXTENSIONS
from tests.helpers.corpus import assert_segments_tile, make_corpus, pdf_bytes


def test_supported_extensions() -> None:
    extensions = supported_extensions()
    assert all(ext.startswith(".") and ext == ext.lower() for ext in extensions)
    assert len(extensions & CODE_EXTENSIONS) >= 30
    documents = {".pdf", ".docx", ".pptx", ".xlsx", ".odt", ".ods", ".odp", ".epub", ".rtf"}
    texts = {".eml", ".html", ".md", ".rst", ".csv", ".json", ".log", ".txt"}
    assert documents | texts <= extensions


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("a.PY", "code"),
        ("Makefile", "code"),
        ("dockerfile", "code"),
        ("notes.markdown", "markdown"),
        ("page.HTM", "html"),
        ("x.tsv", "csv"),
        ("x.ndjson", "json"),
        ("mail.eml", "email"),
        ("book.epub", "epub"),
        ("photo.jpg", "image"),
        ("song.mp3", None),
        ("README", None),
        (".bashrc", None),
    ],
)
def test_family_for(name: str, family: str | None) -> None:
    assert family_for(Path("/some/dir") / name) == family


def test_content_sniffing_without_or_against_the_extension(tmp_path: Path) -> None:
    corpus = {path.name: path for path in make_corpus(tmp_path / "corpus")}
    cases = {
        "from-pdf.txt": (corpus["report.pdf"].read_bytes(), "pdf"),
        "from-docx": (corpus["memo.docx"].read_bytes(), "docx"),
        "from-xlsx.dat": (corpus["budget.xlsx"].read_bytes(), "xlsx"),
        "from-ods": (corpus["budget.ods"].read_bytes(), "ods"),
        "from-epub.bin": (corpus["book.epub"].read_bytes(), "epub"),
        "from-rtf.txt": (corpus["memo.rtf"].read_bytes(), "rtf"),
        "from-html": (corpus["page.html"].read_bytes(), "html"),
        "from-eml": (corpus["message.eml"].read_bytes(), "email"),
        "README": (b"Just some notes.\n", "text"),
    }
    for name, (data, family) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        document = extract(path)
        assert document.file_type == family, name
        assert_segments_tile(document)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffbom utf8 é".encode(), "bom utf8 é"),
        (b"\xfe\xff" + "big endian ü".encode("utf-16-be"), "big endian ü"),
        (b"\xff\xfe\x00\x00" + "utf32 ß".encode("utf-32-le"), "utf32 ß"),
        ("said \u201chi\u201d \u2013 ok".encode("cp1252"), "said \u201chi\u201d \u2013 ok"),
        (b"mac\rline\r\nendings\n", "mac\nline\nendings"),
        (b"tab\there, bell\x07 gone", "tab\there, bell gone"),
    ],
)
def test_text_decoding(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "sample.txt"
    path.write_bytes(data)
    assert extract(path).text == expected


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "ru.html"
    path.write_bytes(
        b'<html><head><meta charset="windows-1251"><title>'
        + "Привет".encode("cp1251")
        + b"</title></head><body><p>"
        + "мир и труд".encode("cp1251")
        + b"</p></body></html>"
    )
    document = extract(path)
    assert (document.title, document.text) == ("Привет", "мир и труд")


def test_nul_bytes_make_a_source_file_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "compiled.py"
    path.write_bytes(b"print('x')\x00\x00\x01\x02" * 10)
    with pytest.raises(ExtractionError) as caught:
        extract(path)
    assert caught.value.reason == "unsupported"


def test_markdown_and_rst_headings(tmp_path: Path) -> None:
    markdown = tmp_path / "n.md"
    markdown.write_text(
        "Preamble.\n\n## First ##\ntext\n\n~~~\n# fenced\n~~~\nSecond\n======\nend\n"
    )
    document = extract(markdown)
    assert document.title == "First"
    assert [s.section for s in document.segments] == [None, "First", "Second"]
    assert document.text[document.segments[1].start :].startswith("## First ##")

    rst = tmp_path / "n.rst"
    rst.write_text("Intro\n=====\n\nbody\n\n----\n\nUsage\n-----\nmore\n")
    document = extract(rst)
    assert document.title == "Intro"
    assert [s.section for s in document.segments] == ["Intro", "Usage"]


def test_html_blocks_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "p.xhtml"
    path.write_text(
        "<html><body><noscript>enable js</noscript><template><p>tpl</p></template>"
        "<div>one<br>two</div><h3>Part &amp; Parcel</h3><ul><li>a</li><li>b</li></ul>"
        "<pre>  keep\n    indent</pre></body></html>"
    )
    document = extract(path)
    assert document.text == "one\ntwo\nPart & Parcel\na\nb\n  keep\n    indent"
    assert document.title == "p"
    assert [s.section for s in document.segments] == [None, "Part & Parcel"]


def test_html_tolerates_unclosed_title_and_empty_cells(tmp_path: Path) -> None:
    path = tmp_path / "messy.html"
    path.write_text("<title>Never closed<body><p>para</p><table><tr><td>a<td> <td>b</table>")
    document = extract(path)
    assert (document.title, document.text) == ("Never closed", "para\na | b")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("long-heading.md", b"# a" + b" \t" * 100_000 + b"b\n"),  # was quadratic backtracking
        ("comments", b"<!-- -->" * 1000 + b"<html><p>hi</p>"),  # was exponential backtracking
        ("braces.rtf", b"{\\rtf1 " + b"{" * 100_000 + b"text" + b"}" * 100_000),
    ],
)
def test_hostile_text_is_handled_quickly(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    started = time.perf_counter()
    assert extract(path).text
    assert time.perf_counter() - started < 2.0


def test_pptx_tables_groups_and_xlsx_sparse_rows(tmp_path: Path) -> None:
    import openpyxl
    import pptx
    from pptx.util import Inches

    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[6])  # blank
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1)).table
    for (row, col), text in {(0, 0): "port", (0, 1): "starboard", (1, 0): "bow"}.items():
        table.cell(row, col).text = text
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(3), Inches(2), Inches(1)).text_frame.text = "grouped"
    buffer = io.BytesIO()
    presentation.save(buffer)
    deck = tmp_path / "t.pptx"
    deck.write_bytes(buffer.getvalue())
    assert extract(deck).text == "port | starboard\nbow\ngrouped"

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "start"
    sheet["XFD1048576"] = "far corner"
    book = tmp_path / "sparse.xlsx"
    workbook.save(book)
    workbook.close()
    assert extract(book).text == "start\nfar corner"


def test_pdf_pages_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf_bytes())
    document = extract(path)
    assert [s.page for s in document.segments] == [1, 2, 3]
    for segment in document.segments:
        assert f"Page {segment.page}" in document.text[segment.start : segment.end]


def test_builder_merges_cuts_and_refuses_blank() -> None:
    builder = DocumentBuilder("text", max_chars=25)
    builder.add_block("alpha", section="A")
    builder.add_block("beta", section="A")
    builder.add_block("gamma", page=2, section="B")
    builder.add_block("delta epsilon zeta", page=2, section="B")
    builder.add_block("never seen", page=3)
    assert builder.full
    document = builder.build("  Spaced   title ")
    assert document.text == "alpha\n\nbeta\n\ngamma\n\ndelta"
    assert len(document.text) <= 25
    assert [(s.page, s.section) for s in document.segments] == [(None, "A"), (2, "B")]
    assert document.title == "Spaced title"
    assert_segments_tile(document)

    blank = DocumentBuilder("text")
    blank.add(" \n\t ", page=1)
    with pytest.raises(ExtractionError) as caught:
        blank.build("x")
    assert caught.value.reason == "no_text"
