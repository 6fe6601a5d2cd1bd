"""Every file of the generated corpus extracts with its phrase, type, title, page and section."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from desktop_app.engine.extract import Document, extract, family_for
from tests.helpers.corpus import CorpusEntry, assert_segments_tile, make_corpus

# name -> (file_type, title, section of the phrase or None when the format has no sections)
EXPECTED: dict[str, tuple[str, str, str | None]] = {
    "plain.txt": ("text", "plain", None),
    "crlf notes.txt": ("text", "crlf notes", None),
    "résumé café.txt": ("text", "résumé café", None),
    "utf16.txt": ("text", "utf16", None),
    "latin1.txt": ("text", "latin1", None),
    "guide.md": ("markdown", "Lantern Harbor Handbook", "Tidal Gauges"),
    "manual.rst": ("rst", "Orbital Kitchen Manual", "Spices"),
    "ledger.csv": ("csv", "ledger", None),
    "ledger.tsv": ("csv", "ledger", None),
    "catalog.json": ("json", "catalog", None),
    "events.jsonl": ("json", "events", None),
    "server.log": ("log", "server", None),
    "hello.py": ("code", "hello", None),
    "widget.ts": ("code", "widget", None),
    "server.go": ("code", "server", None),
    "parser.rs": ("code", "parser", None),
    "Main.java": ("code", "Main", None),
    "schema.sql": ("code", "schema", None),
    "settings.yaml": ("code", "settings", None),
    "theme.css": ("code", "theme", None),
    "Makefile": ("code", "Makefile", None),
    "Dockerfile": ("code", "Dockerfile", None),
    "page.html": ("html", "Copper Kettle Recipes", "Storage"),
    "memo.rtf": ("rtf", "memo", None),
    "message.eml": ("email", "Greenhouse irrigation schedule", "Greenhouse irrigation schedule"),
    "newsletter.eml": ("email", "Spring newsletter", "News"),
    "report.pdf": ("pdf", "Annual Lighthouse Review", None),
    "memo.docx": ("docx", "Quarterly Beekeeping Memo", "Findings"),
    "deck.pptx": ("pptx", "Herd Movements", "Migration Routes"),
    "budget.xlsx": ("xlsx", "Ship Stores", "Inventory"),
    "essay.odt": ("odt", "Velvet Canal Essay", "Currents"),
    "budget.ods": ("ods", "budget", "Harvest"),
    "slides.odp": ("odp", "slides", "Second Voyage"),
    "book.epub": ("epub", "The Copper Lighthouse", "Chapter Two: The Keeper"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, CorpusEntry]:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def documents(corpus: dict[Path, CorpusEntry]) -> dict[str, Document]:
    return {path.name: extract(path) for path in corpus}


def test_corpus_has_one_file_per_expected_format(corpus: dict[Path, CorpusEntry]) -> None:
    assert sorted(path.name for path in corpus) == sorted(EXPECTED)


def test_corpus_files_are_small_and_phrases_distinct(corpus: dict[Path, CorpusEntry]) -> None:
    assert all(path.stat().st_size < 100_000 for path in corpus)
    words = Counter(word for entry in corpus.values() for word in entry.phrase.split())
    assert [word for word, count in words.items() if count > 1] == []
    for entry in corpus.values():
        assert entry.phrase == entry.phrase.lower() and entry.phrase.isascii()
        assert entry.page is None or entry.page >= 2  # page 1 could hide an off-by-one


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_extracts(
    name: str, corpus: dict[Path, CorpusEntry], documents: dict[str, Document]
) -> None:
    path = next(p for p in corpus if p.name == name)
    entry = corpus[path]
    document = documents[name]
    file_type, title, section = EXPECTED[name]

    assert document.file_type == file_type == family_for(path)
    assert document.title == title
    assert_segments_tile(document)
    assert "\r" not in document.text

    start = document.text.find(entry.phrase)
    assert start >= 0, f"{entry.phrase!r} not in {document.text!r}"
    end = start + len(entry.phrase)
    (segment,) = [s for s in document.segments if s.start <= start < s.end]
    assert end <= segment.end, "the phrase must not straddle two segments"
    assert segment.page == entry.page
    assert segment.section == section


def test_paged_formats_number_every_segment(documents: dict[str, Document]) -> None:
    expected_pages = {
        "report.pdf": [1, 2, 3],
        "deck.pptx": [1, 2, 3],
        "budget.xlsx": [1, 2, 3],
        "budget.ods": [1, 2],
        "slides.odp": [1, 2],
    }
    for name, pages in expected_pages.items():
        assert [s.page for s in documents[name].segments] == pages, name
    assert [s.section for s in documents["budget.xlsx"].segments] == [
        "Summary",
        "Inventory",
        "Notes",
    ]


def test_text_encodings_are_detected(documents: dict[str, Document]) -> None:
    assert "café naïve" in documents["latin1.txt"].text
    assert "crème brûlée" in documents["latin1.txt"].text
    assert documents["utf16.txt"].text.startswith("Grüße aus dem Norden.")
    assert documents["crlf notes.txt"].text.split("\n")[:2] == [
        "Line one of the notes.",
        "walnut cathedral drizzle 5530",
    ]
    assert "Café memo." in documents["memo.rtf"].text
    assert "café at noon" in documents["message.eml"].text  # quoted-printable UTF-8


def test_structure_is_kept(documents: dict[str, Document]) -> None:
    html = documents["page.html"].text
    assert "scriptword" not in html and "color: red" not in html
    assert "Fish & chips." in html and "left | right" in html

    memo = documents["memo.docx"].text  # body order: paragraph, table, paragraph
    assert memo.index("6184") < memo.index("hive | count") < memo.index("After the table.")

    deck = documents["deck.pptx"]
    notes = deck.text.index("Speaker notes about weather.")
    assert [s.page for s in deck.segments if s.start <= notes < s.end] == [3]

    assert "1 | anchor | heavy, iron" in documents["ledger.csv"].text
    assert "2\tmast\t" in documents["ledger.tsv"].text
    assert "Words  with\tspacing\nand breaks." in documents["essay.odt"].text

    book = documents["book.epub"].text  # spine order, not zip order
    assert book.index("Rain fell.") < book.index("3740")

    email = documents["message.eml"].text
    assert email.startswith("Subject: Greenhouse irrigation schedule\nFrom: Ada Keeper")
    assert "Attachments: invoice-scan.pdf" in email
    assert "html alternative" not in email and "JVBERi" not in email

    guide = documents["guide.md"]
    assert [s.section for s in guide.segments] == [
        None,
        "Lantern Harbor Handbook",
        "Tidal Gauges",
        "Closing Words",
    ]
