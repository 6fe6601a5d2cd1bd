"""Generate a small document corpus, one file per supported format, each with a unique phrase.

``make_corpus(root)`` writes the files below into ``root`` and returns, for each path, the
made-up phrase it contains (lower-case ASCII words no other file uses, so a keyword or
semantic search for it has exactly one right answer) and, for paged formats, the 1-based
page/slide/sheet the phrase is on (never page 1, so a page bug cannot pass by accident).

    plain.txt            plain UTF-8 text
    crlf notes.txt       Windows CRLF line endings (name with a space)
    résumé café.txt      non-ASCII name with a space
    utf16.txt            UTF-16 LE with BOM, with non-ASCII text ("Grüße")
    latin1.txt           Latin-1 bytes ("café naïve"), no BOM
    guide.md             Markdown: "# Lantern Harbor Handbook" title, phrase under
                         "## Tidal Gauges"; front matter, a code fence and a setext heading
    manual.rst           reStructuredText: "Orbital Kitchen Manual" title, phrase under "Spices"
    ledger.csv / ledger.tsv / catalog.json / events.jsonl / server.log
    hello.py widget.ts server.go parser.rs Main.java schema.sql settings.yaml theme.css
    Makefile Dockerfile  source code (the last two recognised by name)
    page.html            <title>Copper Kettle Recipes</title>, script/style noise, phrase
                         under the <h2> "Storage"
    report.pdf           fpdf2, 3 pages, metadata title "Annual Lighthouse Review", phrase on page 2
    memo.docx            core title "Quarterly Beekeeping Memo", phrase under heading "Findings",
                         a table after it
    deck.pptx            3 slides, phrase on slide 2 (title "Migration Routes"), notes on slide 3
    budget.xlsx          sheets Summary/Inventory/Notes, phrase on sheet 2 ("Inventory")
    essay.odt            title "Velvet Canal Essay" (meta.xml), phrase under heading "Currents"
    budget.ods           sheets Overview/Harvest, phrase on sheet 2 ("Harvest")
    slides.odp           2 slides, phrase on slide 2 (title "Second Voyage")
    book.epub            dc:title "The Copper Lighthouse", chapters stored out of spine order,
                         phrase in chapter 2 ("Chapter Two: The Keeper")
    memo.rtf             RTF with \\'e9 escapes
    message.eml          multipart: plain + HTML alternative + a PDF attachment, Subject title
    newsletter.eml       HTML-only e-mail (the HTML part is the text)

``make_bad_files(root)`` writes files that must fail, mapped to the expected
``ExtractionError.reason`` at the default ``max_bytes``:

    corrupt       truncated.pdf, garbled.pdf (PDF header, random body), junk.docx (zip without
                  OOXML parts), notazip.xlsx (random bytes), broken.epub (no container.xml),
                  broken.odt (no content.xml), notrtf.rtf (no {\\rtf header)
    encrypted     encrypted.pdf (user password, fpdf2 RC4), locked.docx (OLE2/CFB container),
                  locked.odt (manifest lists encryption-data)
    no_text       empty.txt (zero bytes), blank.md (whitespace only), scanned.pdf (no text layer)
    unsupported   random.txt (random bytes), blob.bin (binary, unknown extension), archive.zip
    too_large     bomb.docx (central directory declares ~4 GB per member; see ``real_bomb``
                  and ``patch_declared_sizes`` for bombs with real content)

Everything is generated in under a second (most of it importing the Office libraries) and no
file exceeds 100 KB.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from desktop_app.engine.extract import Document

__all__ = ["CorpusEntry", "assert_segments_tile", "make_bad_files", "make_corpus"]


@dataclass(frozen=True)
class CorpusEntry:
    """The unique phrase in a corpus file, and its 1-based page for paged formats (else None)."""

    phrase: str
    page: int | None


def make_corpus(root: Path) -> dict[Path, CorpusEntry]:
    """Write one file per format into ``root``; see the module docstring for the list."""
    root.mkdir(parents=True, exist_ok=True)
    corpus: dict[Path, CorpusEntry] = {}

    def add(name: str, phrase: str, data: bytes | str, page: int | None = None) -> None:
        path = root / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8", newline="")
        else:
            path.write_bytes(data)
        corpus[path] = CorpusEntry(phrase, page)

    _text_files(add)
    _code_files(add)
    _markup_files(add)
    _binary_files(add)
    return corpus


def assert_segments_tile(document: Document) -> None:
    """Segments are in order, non-empty, within bounds and cover the text without gaps."""
    assert document.text, "an extracted document always has text"
    assert document.segments, "non-empty text needs at least one segment"
    position = 0
    for segment in document.segments:
        assert segment.start == position, f"gap or overlap at {segment}"
        assert segment.start < segment.end <= len(document.text), f"bad bounds: {segment}"
        assert segment.page is None or segment.page >= 1
        position = segment.end
    assert position == len(document.text), "segments stop before the end of the text"


class _Adder(Protocol):
    def __call__(
        self, name: str, phrase: str, data: bytes | str, page: int | None = None
    ) -> None: ...


def _text_files(add: _Adder) -> None:
    add("plain.txt", "zebrafish quantum orchard 0417", _prose("zebrafish quantum orchard 0417"))
    add(
        "crlf notes.txt",
        "walnut cathedral drizzle 5530",
        "Line one of the notes.\r\nwalnut cathedral drizzle 5530\r\nLast line.\r\n",
    )
    add("résumé café.txt", "saffron periscope meadow 7702", _prose("saffron periscope meadow 7702"))
    utf16 = "Grüße aus dem Norden.\nhazelnut tugboat lantern 3318\n"
    add("utf16.txt", "hazelnut tugboat lantern 3318", b"\xff\xfe" + utf16.encode("utf-16-le"))
    latin1 = (
        "Une idée café naïve sur la crème brûlée, à côté du théâtre.\n"
        "pelican amber turnip 6624\n"
        "Le garçon était déjà là, près de la fenêtre.\n"
    )
    add("latin1.txt", "pelican amber turnip 6624", latin1.encode("latin-1"))
    add(
        "guide.md",
        "barnacle sextant marigold 1186",
        "---\ntags: [demo]\n---\n\n# Lantern Harbor Handbook\n\nIntro text.\n\n"
        "```\n# not a heading\n```\n\n## Tidal Gauges\n\n"
        "The **barnacle sextant marigold 1186** reading is logged hourly.\n\n"
        "Closing Words\n-------------\n\nDone.\n",
    )
    add(
        "manual.rst",
        "cardamom gyroscope pebble 9043",
        "======================\nOrbital Kitchen Manual\n======================\n\n"
        "Welcome aboard.\n\nSpices\n------\n\ncardamom gyroscope pebble 9043 is stored aft.\n",
    )
    add(
        "ledger.csv",
        "mahogany kestrel biscuit 4471",
        'id,item,notes\n1,anchor,"heavy, iron"\n2,rope,mahogany kestrel biscuit 4471\n',
    )
    add(
        "ledger.tsv",
        "tangerine abacus glacier 8815",
        "id\titem\tnotes\n1\tsail\tcanvas\n2\tmast\ttangerine abacus glacier 8815\n",
    )
    add(
        "catalog.json",
        "juniper ferryboat quasar 2067",
        '{\n  "items": [\n    {"name": "compass",\n'
        '     "note": "juniper ferryboat quasar 2067"}\n  ]\n}\n',
    )
    add(
        "events.jsonl",
        "porcupine violin seaweed 3904",
        '{"event": "start"}\n{"event": "note", "text": "porcupine violin seaweed 3904"}\n',
    )
    add(
        "server.log",
        "falcon parsnip telescope 6148",
        "2024-05-01 12:00:00 INFO \x1b[32mstarted\x1b[0m\n"
        "2024-05-01 12:00:01 WARN falcon parsnip telescope 6148 exceeded\n",
    )


def _code_files(add: _Adder) -> None:
    files = {
        "hello.py": ("origami vulture cobalt 1203", 'def greet() -> str:\n    return "{}"\n'),
        "widget.ts": ("nutmeg trampoline fjord 2314", "export const note = '{}';\n"),
        "server.go": ("dandelion cutlass prism 3425", "package main\n\n// {}\nfunc main() {{}}\n"),
        "parser.rs": ("mongoose lagoon ribbon 4536", "// {}\nfn main() {{}}\n"),
        "Main.java": ("ostrich fiddle basalt 5647", "class Main {{ // {}\n}}\n"),
        "schema.sql": ("plankton sorbet viaduct 6758", "-- {}\nCREATE TABLE t (id INT);\n"),
        "settings.yaml": ("tortoise zeppelin quince 7869", "note: {}\nlevel: 3\n"),
        "theme.css": ("armadillo cinnamon harp 8970", "/* {} */\nbody {{ color: red; }}\n"),
        "Makefile": ("gazelle pumpkin quarry 9081", "# {}\nall:\n\techo done\n"),
        "Dockerfile": ("wombat gondola sapphire 1092", "FROM scratch\n# {}\n"),
    }
    for name, (phrase, template) in files.items():
        add(name, phrase, template.format(phrase))


def _markup_files(add: _Adder) -> None:
    add(
        "page.html",
        "pistachio hammock nebula 2740",
        "<!DOCTYPE html><html><head><title>Copper Kettle Recipes</title>"
        "<style>body { color: red }</style><script>var secret = 'scriptword';</script></head>"
        "<body><h1>Kettles</h1><p>Fish &amp; chips.</p><h2>Storage</h2>"
        "<p>Keep the pistachio hammock nebula 2740 dry.</p>"
        "<table><tr><td>left</td><td>right</td></tr></table></body></html>",
    )
    add(
        "memo.rtf",
        "cobblestone mango whistle 3851",
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}\f0\pard "
        r"Caf\'e9 memo.\par cobblestone mango whistle 3851\par}",
    )
    add("message.eml", "rhubarb satellite canyon 4962", _email())
    add("newsletter.eml", "lobster meadowlark tinsel 5073", _html_email())


def _email() -> str:
    return (
        "From: Ada Keeper <ada@example.org>\r\nTo: crew@example.org\r\n"
        "Subject: Greenhouse irrigation schedule\r\nDate: Wed, 01 May 2024 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=OUTER\r\n\r\n"
        "--OUTER\r\nContent-Type: multipart/alternative; boundary=INNER\r\n\r\n"
        "--INNER\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Hello crew, caf=C3=A9 at noon.\r\n"
        "rhubarb satellite canyon 4962\r\n\r\n"
        "--INNER\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<p>Hello crew (html alternative).</p>\r\n--INNER--\r\n"
        "--OUTER\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="invoice-scan.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--OUTER--\r\n"
    )


def _html_email() -> str:
    return (
        "From: news@example.org\r\nTo: reader@example.org\r\nSubject: Spring newsletter\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><body><h1>News</h1><p>lobster meadowlark tinsel 5073</p></body></html>\r\n"
    )


def _prose(phrase: str) -> str:
    return f"Some ordinary opening words.\n\nThen the phrase {phrase} appears.\n\nThe end.\n"


def make_bad_files(root: Path) -> dict[Path, str]:
    """Write files that must fail, mapped to their expected reason at default ``max_bytes``."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1234)
    bad: dict[Path, str] = {}

    def add(name: str, data: bytes, reason: str) -> None:
        path = root / name
        path.write_bytes(data)
        bad[path] = reason

    add("truncated.pdf", pdf_bytes()[:400], "corrupt")
    add("garbled.pdf", b"%PDF-1.7\n" + rng.randbytes(4000), "corrupt")
    add("encrypted.pdf", encrypted_pdf_bytes(), "encrypted")
    add("scanned.pdf", textless_pdf_bytes(), "no_text")
    add("junk.docx", zip_of({"word/document.xml": b"\x00junk<<<", "x": b"y"}), "corrupt")
    add("notazip.xlsx", rng.randbytes(3000), "corrupt")
    add(
        "broken.epub",
        zip_of({"mimetype": b"application/epub+zip", "a.xhtml": b"<p>x</p>"}),
        "corrupt",
    )
    add("broken.odt", zip_of({"mimetype": b"application/vnd.oasis.opendocument.text"}), "corrupt")
    add("random.txt", rng.randbytes(4096), "unsupported")
    add("blob.bin", bytes(range(256)) * 8, "unsupported")
    add("archive.zip", zip_of({"readme.txt": b"hello"}), "unsupported")
    add("empty.txt", b"", "no_text")
    add("blank.md", b"  \n\n\t \r\n", "no_text")
    add("locked.docx", bytes.fromhex("D0CF11E0A1B11AE1") + rng.randbytes(2000), "encrypted")
    add("locked.odt", _locked_odt(rng.randbytes(500)), "encrypted")
    add("bomb.docx", declared_bomb(), "too_large")
    add("notrtf.rtf", b"this is not rich text at all", "corrupt")
    return bad


def _locked_odt(ciphertext: bytes) -> bytes:
    """What LibreOffice writes for a password: parts listed with encryption-data, bytes opaque."""
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        b'"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AA==">'
        b'<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"'
        b' manifest:initialisation-vector="AA=="/></manifest:encryption-data>'
        b"</manifest:file-entry></manifest:manifest>"
    )
    return zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": manifest,
            "content.xml": ciphertext,
        }
    )


def declared_bomb(declared: int = 0xF000_0000) -> bytes:
    """A DOCX-shaped zip whose members *declare* ~4 GB each (patched central directory).

    Real bombs (gigabytes of zeros, kilobytes compressed) take seconds to build; the size check
    reads the same central-directory field either way, so a forged one tests it in a millisecond.
    """
    members = {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w:document>" + b" " * 100_000 + b"</w:document>",
    }
    return patch_declared_sizes(zip_of(members), declared)


def patch_declared_sizes(data: bytes, declared: int) -> bytes:
    """Rewrite every central-directory entry's uncompressed size to ``declared`` (a lie)."""
    patched = bytearray(data)
    end = patched.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", patched, end + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", patched, offset + 28)
        struct.pack_into("<I", patched, offset + 24, declared)
        offset += 46 + name_len + extra_len + comment_len
    return bytes(patched)


def real_bomb(uncompressed: int, member_name: str = "word/document.xml") -> bytes:
    """A zip whose ``member_name`` is ``uncompressed`` bytes of real zeros (~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open(member_name, "w") as member:
            block = b"\x00" * (1 << 20)
            for _ in range(uncompressed >> 20):
                member.write(block)
    return buffer.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    """A zip (deflated) holding ``members``, name -> content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- binary formats, generated with the libraries (or zipfile + hand-written XML) ---------


def _binary_files(add: _Adder) -> None:
    add("report.pdf", PDF_PHRASE, pdf_bytes(), 2)
    add("memo.docx", "beeswax trellis cormorant 6184", _docx("beeswax trellis cormorant 6184"))
    add("deck.pptx", "caribou windmill sorrel 7295", _pptx("caribou windmill sorrel 7295"), 2)
    add("budget.xlsx", "starfish ledger obsidian 8306", _xlsx("starfish ledger obsidian 8306"), 2)
    add("essay.odt", "heron velvet tapioca 9417", _odt("heron velvet tapioca 9417"))
    add("budget.ods", "lemur quartz porridge 1528", _ods("lemur quartz porridge 1528"), 2)
    add("slides.odp", "jackal meringue aqueduct 2639", _odp("jackal meringue aqueduct 2639"), 2)
    add("book.epub", "narwhal biscotti hologram 3740", _epub("narwhal biscotti hologram 3740"))


PDF_PHRASE = "lighthouse marzipan kayak 5962"
PDF_TITLE = "Annual Lighthouse Review"


def pdf_bytes() -> bytes:
    """Three pages; page 2 holds ``PDF_PHRASE``, pages 1 and 3 ordinary words."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(PDF_TITLE)
    pdf.set_font("helvetica", size=12)
    for page, line in enumerate(
        ["Opening remarks about the coast.", f"Inspection found {PDF_PHRASE} intact.", "Appendix."],
        start=1,
    ):
        pdf.add_page()
        pdf.cell(text=f"Page {page}")
        pdf.ln(10)
        pdf.cell(text=line)
    return bytes(pdf.output())


def encrypted_pdf_bytes() -> bytes:
    """A PDF that needs a user password to open (RC4, built into fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.cell(text="classified words")
    return bytes(pdf.output())


def textless_pdf_bytes() -> bytes:
    """A valid PDF whose only page has a drawing and no text layer (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    return bytes(pdf.output())


def _docx(phrase: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Quarterly Beekeeping Memo"
    document.add_heading("Introduction", level=1)
    document.add_paragraph("The hives were counted in spring.")
    document.add_heading("Findings", level=1)
    document.add_paragraph(f"We noted {phrase} near the gate.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in enumerate([("hive", "count"), ("north", "12")]):
        for col, value in enumerate(cells):
            table.cell(row, col).text = value
    document.add_paragraph("After the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pptx(phrase: str) -> bytes:
    import pptx

    presentation = pptx.Presentation()
    presentation.core_properties.title = "Herd Movements"
    layout = presentation.slide_layouts[1]  # "Title and Content"
    slides = [
        ("Overview", "Where the herds go."),
        ("Migration Routes", f"Spotted: {phrase} on the ridge."),
        ("Next Steps", "Count again in autumn."),
    ]
    for title, body in slides:
        slide = presentation.slides.add_slide(layout)
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    presentation.slides[2].notes_slide.notes_text_frame.text = "Speaker notes about weather."
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def _xlsx(phrase: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Summary"
    summary.append(["total", 42])
    inventory = workbook.create_sheet("Inventory")
    inventory.append(["item", "count", "note"])
    inventory.append(["rope", 3, None])
    inventory.append(["lamp", 7.0, phrase])
    workbook.create_sheet("Notes").append(["checked by the quartermaster"])
    workbook.properties.title = "Ship Stores"
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.close()
    return buffer.getvalue()


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)


def _odf(kind: str, body: str, title: str | None = None) -> bytes:
    """An OpenDocument zip: ``mimetype`` first and stored, then content.xml (and meta.xml)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS} '
        f'office:version="1.3"><office:body>{body}</office:body></office:document-content>'
    )
    members = {"content.xml": content.encode()}
    if title is not None:
        meta = (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}>'
            f"<office:meta><dc:title>{title}</dc:title></office:meta></office:document-meta>"
        )
        members["meta.xml"] = meta.encode()
    return _zip_with_mimetype(f"application/vnd.oasis.opendocument.{kind}", members)


def _odt(phrase: str) -> bytes:
    return _odf(
        "text",
        '<office:text><text:h text:outline-level="1">Still Water</text:h>'
        '<text:p>Words<text:s text:c="2"/>with<text:tab/>spacing<text:line-break/>and breaks.'
        '</text:p><text:h text:outline-level="1">Currents</text:h>'
        f"<text:p>The <text:span>{phrase}</text:span> drifts east.</text:p>"
        '<table:table table:name="T"><table:table-row><table:table-cell><text:p>cell one'
        "</text:p></table:table-cell><table:table-cell><text:p>cell two</text:p>"
        "</table:table-cell></table:table-row></table:table></office:text>",
        title="Velvet Canal Essay",
    )


def _ods(phrase: str) -> bytes:
    def cell(text: str) -> str:
        return f"<table:table-cell><text:p>{text}</text:p></table:table-cell>"

    return _odf(
        "spreadsheet",
        '<office:spreadsheet><table:table table:name="Overview"><table:table-row>'
        f"{cell('year')}{cell('2024')}</table:table-row></table:table>"
        '<table:table table:name="Harvest"><table:table-row>'
        f"{cell('crop')}{cell('note')}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048000"/>'
        f"<table:table-row>{cell('barley')}{cell(phrase)}</table:table-row>"
        "</table:table></office:spreadsheet>",
    )


def _odp(phrase: str) -> bytes:
    def slide(name: str, title: str, body: str) -> str:
        return (
            f'<draw:page draw:name="{name}"><draw:frame presentation:class="title">'
            f"<draw:text-box><text:p>{title}</text:p></draw:text-box></draw:frame>"
            f'<draw:frame presentation:class="outline"><draw:text-box><text:p>{body}</text:p>'
            "</draw:text-box></draw:frame></draw:page>"
        )

    return _odf(
        "presentation",
        "<office:presentation>"
        + slide("p1", "First Voyage", "Leaving port.")
        + slide("p2", "Second Voyage", f"Sighted {phrase} at dawn.")
        + "</office:presentation>",
    )


def _epub(phrase: str) -> bytes:
    container = (
        '<?xml version="1.0"?><container version="1.0" '
        'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    opf = (
        '<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" '
        'version="3.0" unique-identifier="id"><metadata '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x</dc:identifier>'
        "<dc:title>The Copper Lighthouse</dc:title><dc:language>en</dc:language></metadata>"
        '<manifest><item id="c1" href="text/chapter%201.xhtml" '
        'media-type="application/xhtml+xml"/><item id="c2" href="text/chapter2.xhtml" '
        'media-type="application/xhtml+xml"/><item id="css" href="style.css" '
        'media-type="text/css"/></manifest><spine><itemref idref="c1"/><itemref idref="c2"/>'
        "</spine></package>"
    )

    def chapter(title: str, body: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html>'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>'
            f"<body><p>{body}</p></body></html>"
        ).encode()

    return _zip_with_mimetype(
        "application/epub+zip",
        {
            "META-INF/container.xml": container.encode(),
            "OEBPS/content.opf": opf.encode(),
            # Stored out of reading order on purpose: the spine decides.
            "OEBPS/text/chapter2.xhtml": chapter("Chapter Two: The Keeper", phrase),
            "OEBPS/text/chapter 1.xhtml": chapter("Chapter One: The Storm", "Rain fell."),
            "OEBPS/style.css": b"p { margin: 0 }",
        },
    )


def _zip_with_mimetype(mimetype: str, members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
