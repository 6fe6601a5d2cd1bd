"""Hostile input: no file crashes or hangs the indexer, and every failure has its reason.

Everything runs through the real extraction path, the process pool of
``desktop_app.engine.extract_pool`` (worker processes, a time limit per file), so a segfault
in a native library (PDFium) or an endless loop is contained the way it is in the app:

* Fuzzing (hypothesis, bounded): the corpus of ``tests.helpers.corpus.make_corpus`` (one real
  file per format) mutated byte-wise (bit flips, inserted, deleted, repeated and "interesting"
  bytes, truncation) or inside its zip members, and random bytes under each extension (with
  and without a format's magic bytes or a BOM). Each input must come back as a well-formed
  Document or as a failure whose reason is in ``REASONS`` with a message, within the time
  limit plus a margin. The fast run (3 mutations per corpus file and 50 random inputs, the
  same on every run) is part of ``make test``; the soak run (45 per file and 600 random, a new
  sample each time) of ``make soak``.
* Fixed cases: zip bombs (DOCX, EPUB, ODT; memory measured in the worker), a 10,000-page PDF,
  a 2 GB sparse file (bytes read by the worker measured), a 50 MB single-line text, a folder
  tree 200 levels deep, 10,000 (soak: 100,000) files in one folder, symlink loops and links
  out of the folder, names that are not valid UTF-8, a crashed and a frozen worker, and one
  folder of all of it indexed by the real ``Engine``.

The figures (counted by the tests themselves) go to ``docs/reliability/hostile_input.json``
under ``make soak``.
"""

from __future__ import annotations

import io
import itertools
import json
import multiprocessing
import os
import random
import signal
import struct
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.engine import pathnames
from desktop_app.engine.chunking import chunk_document
from desktop_app.engine.extract import REASONS
from desktop_app.engine.extract.base import MAX_CHARS
from desktop_app.engine.extract.registry import BY_EXTENSION
from desktop_app.engine.extract_pool import ExtractPool, ExtractResult
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.records import STATUS_INDEXED
from desktop_app.engine.scanner import (
    Exclusions,
    FileInfo,
    make_plan,
    walk,
)
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings
from tests.helpers.corpus import assert_segments_tile, make_corpus, patch_declared_sizes
from tests.reliability.figures import record

# -- limits and figures ----------------------------------------------------------------------

FUZZ_TIMEOUT_S = 10.0
"""The pool's time limit while fuzzing: far above what any input here needs (< 1 s)."""
MARGIN_S = 5.0
"""A result may come this late after the limit (killing and replacing a worker, a busy CPU)."""
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
BOMB_RSS_LIMIT_MB = 256
"""A worker's peak memory after every zip bomb; parsing a 50 MB bomb member took 600 MB."""

TITLE = "Hostile input"
SUMMARY = (
    "Mutated real documents of every format and random bytes under every extension were "
    "extracted through the real worker pool (processes, per-file time limit) with hypothesis; "
    "every input came back as a document or as a failure with a known reason, none raised and "
    "none overran the time limit. Zip bombs, a 10,000-page PDF, a 2 GB sparse file, a 50 MB "
    "one-line text, deep and wide folders, symlink loops and non-UTF-8 names are fixed cases; "
    "a killed and a frozen worker are replaced and the file recorded."
)


@dataclass
class FuzzTally:
    """What one fuzz run saw, counted as it happened."""

    inputs: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    #: Broken promises (each also fails its test): an exception out of the pool, a result
    #: later than the limit plus the margin, a failure without a known reason and message.
    escaped: int = 0
    late: int = 0
    unexplained: int = 0
    crashes_contained: int = 0
    max_seconds: float = 0.0

    def add(self, kind: str, result: ExtractResult, seconds: float) -> None:
        self.inputs[kind] += 1
        self.outcomes[result.reason or "document"] += 1
        if result.document is None and (result.reason not in REASONS or not result.message.strip()):
            self.unexplained += 1
        if seconds >= FUZZ_TIMEOUT_S + MARGIN_S:
            self.late += 1
        if "crashed" in result.message:
            self.crashes_contained += 1
        self.max_seconds = max(self.max_seconds, seconds)


TALLIES = {"fast": FuzzTally(), "soak": FuzzTally()}
FIGURES: dict[str, Any] = {}


def _listing(counts: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items()))


@pytest.fixture(scope="module", autouse=True)
def hostile_figures() -> Iterator[None]:
    """Write one JSON for the whole module once every test in it has run."""
    yield
    figures: dict[str, Any] = {}
    for run, tally in TALLIES.items():
        total = sum(tally.inputs.values())
        if not total:
            continue
        failures = total - tally.outcomes["document"]
        figures |= {
            f"fuzzed inputs ({run})": total,
            f"fuzzed inputs per format ({run})": _listing(tally.inputs),
            f"documents extracted ({run})": tally.outcomes["document"],
            f"failures recorded with a known reason ({run})": failures - tally.unexplained,
            f"failures by reason ({run})": _listing(
                Counter({k: n for k, n in tally.outcomes.items() if k != "document"})
            ),
            f"failures without a known reason ({run})": tally.unexplained,
            f"exceptions escaped ({run})": tally.escaped,
            f"hangs past the time limit ({run})": tally.late,
            f"worker crashes contained ({run})": tally.crashes_contained,
            f"max seconds per fuzzed file ({run})": round(tally.max_seconds, 2),
        }
    record("hostile_input", TITLE, SUMMARY, figures | FIGURES)


# -- the pool --------------------------------------------------------------------------------


def extract_via_pool(pool: ExtractPool, path: Path) -> tuple[ExtractResult, float]:
    """One file through the pool: its result and how long it took."""
    st_ = path.stat()
    started = time.monotonic()
    results = list(pool.run([FileInfo(str(path), st_.st_size, st_.st_mtime_ns)]))
    seconds = time.monotonic() - started
    assert len(results) == 1
    return results[0], seconds


def assert_sound(result: ExtractResult, seconds: float, timeout: float) -> None:
    """The contract every input must keep: a document or a known reason, and in time."""
    assert seconds < timeout + MARGIN_S, f"{result.info.path} took {seconds:.1f} s"
    assert not result.vanished
    if result.document is not None:
        assert not result.reason
        assert_segments_tile(result.document)
        assert len(result.document.text) <= MAX_CHARS
    else:
        assert result.reason in REASONS, result
        assert result.message.strip(), result


def worker_pids() -> set[int]:
    """Every live extraction worker of this process (the pool names them "extract")."""
    return {p.pid for p in multiprocessing.active_children() if p.name == "extract" and p.pid}


def cpu_seconds(pid: int) -> float:
    """CPU time a process used so far: unlike wall time, not inflated by a busy machine."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


@dataclass
class OwnPool:
    """A started pool and a way to tell its workers from those of the other pools alive."""

    pool: ExtractPool
    others: set[int]

    def pids(self) -> set[int]:
        return worker_pids() - self.others


@contextmanager
def own_pool(workers: int = 1, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[OwnPool]:
    others = worker_pids()
    with ExtractPool(workers=workers, timeout=timeout, max_bytes=DEFAULT_MAX_BYTES) as pool:
        list(pool.run([]))  # start the workers now, not with the first file
        yield OwnPool(pool, others)


def proc_field(pid: int, name: str, key: str) -> int:
    """A number from /proc/<pid>/<name> ("status" in kB, "io" in bytes)."""
    with open(f"/proc/{pid}/{name}", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


@pytest.fixture(scope="module")
def fuzz_pool() -> Iterator[ExtractPool]:
    with ExtractPool(workers=2, timeout=FUZZ_TIMEOUT_S) as pool:
        yield pool


SEED_NAMES = [
    "Dockerfile", "Main.java", "Makefile", "book.epub", "budget.ods", "budget.xlsx",
    "catalog.json", "crlf notes.txt", "deck.pptx", "essay.odt", "events.jsonl", "guide.md",
    "hello.py", "latin1.txt", "ledger.csv", "ledger.tsv", "manual.rst", "memo.docx", "memo.rtf",
    "message.eml", "newsletter.eml", "page.html", "parser.rs", "plain.txt", "report.pdf",
    "résumé café.txt", "schema.sql", "server.go", "server.log", "settings.yaml", "slides.odp",
    "theme.css", "utf16.txt", "widget.ts",
]  # fmt: skip
"""The files of ``make_corpus`` (every format and text encoding), so each is a test of its own."""


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The corpus files' bytes, by name."""
    corpus = make_corpus(tmp_path_factory.mktemp("seeds"))
    seeds = {path.name: path.read_bytes() for path in corpus}
    assert sorted(seeds) == SEED_NAMES, "the corpus changed: update SEED_NAMES"
    return seeds


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# -- fuzzing ---------------------------------------------------------------------------------

INTERESTING = (b"\x00", b"\xff" * 4, b"\x7f\xff\xff\xff", b"\x00" * 4, b"%%EOF", b"PK\x03\x04")
MAGICS = (
    b"",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"{\\rtf1 ",
    b"<!DOCTYPE html><html>",
    b"From: a@b.c\nSubject: x\n\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xff\xfe\x00\x00",
    bytes.fromhex("D0CF11E0A1B11AE1"),
)
# One extension per format family, plus a name without one (sniffing decides).
EXTENSIONS = [*sorted({family: ext for ext, family in sorted(BY_EXTENSION.items())}.values()), ""]
ZIP_FORMATS = (".docx", ".pptx", ".xlsx", ".odt", ".ods", ".odp", ".epub")

EDIT_KINDS = ("flip", "insert", "delete", "repeat", "interesting", "truncate")
Op = tuple[str, int, int, bytes]
"""An edit: kind, position (wraps around the length), size, payload."""
ops = st.tuples(
    st.sampled_from(EDIT_KINDS),
    st.integers(min_value=0, max_value=1 << 24),
    st.integers(min_value=1, max_value=512),
    st.binary(min_size=1, max_size=32),
)


def mutate(data: bytes, edits: list[Op]) -> bytes:
    """Apply byte-level edits; positions wrap around the current length."""
    buf = bytearray(data)
    for kind, where, size, payload in edits:
        if not buf:
            buf.extend(payload)
            continue
        at = where % len(buf)
        if kind == "flip":
            buf[at] ^= 1 << (size % 8)
        elif kind == "insert":
            buf[at:at] = payload
        elif kind == "delete":
            del buf[at : at + size]
        elif kind == "repeat":
            buf[at:at] = bytes(buf[at : at + size]) * (1 + size % 16)
        elif kind == "interesting":
            piece = INTERESTING[size % len(INTERESTING)]
            buf[at : at + len(piece)] = piece
        else:
            del buf[at:]
    return bytes(buf)


def mutate_member(data: bytes, member: int, edits: list[Op]) -> bytes:
    """Re-zip a document with one member's uncompressed bytes mutated (reaches the parsers,
    which byte edits of compressed data rarely do: those mostly fail the CRC)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        victim = infos[member % len(infos)].filename
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in infos:
                content = source.read(info)
                if info.filename == victim:
                    content = mutate(content, edits)
                target.writestr(info, content)
    return out.getvalue()


_INPUT_NUMBERS = itertools.count(1)


class Fuzzer:
    """Writes each input, extracts it through the pool and checks the contract."""

    def __init__(self, pool: ExtractPool, folder: Path, tally: FuzzTally) -> None:
        self.pool, self.folder, self.tally = pool, folder, tally

    def check(self, kind: str, suffix: str, data: bytes) -> None:
        path = self.folder / f"input-{next(_INPUT_NUMBERS):06d}{suffix}"
        path.write_bytes(data)
        try:
            try:
                result, seconds = extract_via_pool(self.pool, path)
            except BaseException:
                self.tally.escaped += 1
                raise
            self.tally.add(kind, result, seconds)
            assert_sound(result, seconds, FUZZ_TIMEOUT_S)
        finally:
            path.unlink()


mutations = st.fixed_dictionaries(
    {
        "inside_zip": st.booleans(),
        "member": st.integers(min_value=0, max_value=100),
        "edits": st.lists(ops, min_size=1, max_size=8),
    }
)
randoms = st.tuples(
    st.sampled_from(EXTENSIONS), st.sampled_from(MAGICS), st.binary(min_size=0, max_size=4096)
)
RandomCase = tuple[str, bytes, bytes]
"""One of ``randoms``: an extension, magic bytes and a body."""
Seed = tuple[str, bytes]
"""A corpus file's name and bytes."""


def _fuzz_mutations(fuzzer: Fuzzer, name: str, data: bytes, case: dict[str, Any]) -> None:
    suffix = Path(name).suffix
    if case["inside_zip"] and suffix in ZIP_FORMATS:
        mutated = mutate_member(data, case["member"], case["edits"])
    else:
        mutated = mutate(data, case["edits"])
    fuzzer.check(suffix or name, suffix or "", mutated)


def _fuzz_random(fuzzer: Fuzzer, case: RandomCase) -> None:
    suffix, magic, body = case
    fuzzer.check(f"random{suffix or ' (none)'}", suffix, magic + body)


FAST = settings(
    max_examples=3,  # per corpus file: 102 inputs
    derandomize=True,  # the same inputs on every run of make test: a failure is reproducible
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOAK = settings(
    FAST,
    max_examples=45,  # per corpus file: 1,530 inputs
    derandomize=False,  # a new sample each soak run
)


@pytest.fixture(params=SEED_NAMES)
def seed(request: pytest.FixtureRequest, seeds: dict[str, bytes]) -> Seed:
    """One corpus file, name and bytes: each is a test of its own."""
    return request.param, seeds[request.param]


@pytest.fixture
def fuzzer(request: pytest.FixtureRequest, fuzz_pool: ExtractPool, fuzz_dir: Path) -> Fuzzer:
    """Checks inputs through the module's pool; counts them in the soak tally under a soak
    test, else in the fast one."""
    run = "soak" if request.node.get_closest_marker("soak") else "fast"
    return Fuzzer(fuzz_pool, fuzz_dir, TALLIES[run])


@FAST
@given(case=mutations)
def test_fuzz_mutated_documents(seed: Seed, case: dict[str, Any], fuzzer: Fuzzer) -> None:
    _fuzz_mutations(fuzzer, *seed, case)


@settings(FAST, max_examples=50)
@given(case=randoms)
def test_fuzz_random_bytes_under_each_extension(case: RandomCase, fuzzer: Fuzzer) -> None:
    _fuzz_random(fuzzer, case)


@pytest.mark.soak
@SOAK
@given(case=mutations)
def test_fuzz_mutated_documents_soak(seed: Seed, case: dict[str, Any], fuzzer: Fuzzer) -> None:
    _fuzz_mutations(fuzzer, *seed, case)


@pytest.mark.soak
@settings(SOAK, max_examples=600)
@given(case=randoms)
def test_fuzz_random_bytes_soak(case: RandomCase, fuzzer: Fuzzer) -> None:
    _fuzz_random(fuzzer, case)


# -- fixed cases: zip bombs ------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
BOMB_MB = 64


def _zip(members: list[tuple[str, bytes | Iterator[bytes]]]) -> bytes:
    """A zip at the highest compression; an iterator member is streamed (never in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in members:
            if isinstance(content, bytes):
                stored = name == "mimetype"
                archive.writestr(
                    name, content, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                )
                continue
            with archive.open(name, "w") as member:
                for piece in content:
                    member.write(piece)
    return out.getvalue()


def _repeated(head: bytes, unit: bytes, tail: bytes, megabytes: int) -> Iterator[bytes]:
    """``head``, then ``unit`` repeated to ``megabytes`` MiB, then ``tail``: valid markup that
    a parser would turn into millions of nodes, the expensive kind of bomb."""
    yield head
    block = unit * ((1 << 20) // len(unit))
    for _ in range(megabytes):
        yield block
    yield tail


def docx_bomb(megabytes: int) -> bytes:
    head = f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>'.encode()
    return _zip(
        [
            ("[Content_Types].xml", b"<Types/>"),
            (
                "word/document.xml",
                _repeated(
                    head,
                    b"<w:p><w:r><w:t>bomb</w:t></w:r></w:p>",
                    b"</w:body></w:document>",
                    megabytes,
                ),
            ),
        ]
    )


def epub_bomb(megabytes: int) -> bytes:
    container = (
        b'<?xml version="1.0"?><container version="1.0" '
        b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        b'<rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
        b"</rootfiles></container>"
    )
    opf = (
        b'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        b'<manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/>'
        b'</manifest><spine><itemref idref="c"/></spine></package>'
    )
    chapter = _repeated(b"<html><body>", b"<p>bomb</p>", b"</body></html>", megabytes)
    return _zip(
        [
            ("mimetype", b"application/epub+zip"),
            ("META-INF/container.xml", container),
            ("content.opf", opf),
            ("c.xhtml", chapter),
        ]
    )


def odt_bomb(megabytes: int) -> bytes:
    head = (
        f'<?xml version="1.0"?><office:document-content {ODF_NS}><office:body><office:text>'
    ).encode()
    tail = b"</office:text></office:body></office:document-content>"
    return _zip(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", _repeated(head, b"<text:p>bomb</text:p>", tail, megabytes)),
        ]
    )


def liar(data: bytes, member: str) -> bytes:
    """The same bomb with its big member declaring 1 KB: it passes the size and ratio checks,
    and reading it must stop at 1 KB with a CRC error instead of inflating everything."""
    patched = bytearray(data)
    end = patched.rfind(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", patched, end + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", patched, offset + 28)
        if patched[offset + 46 : offset + 46 + name_len] == member.encode():
            struct.pack_into("<I", patched, offset + 24, 1000)  # the uncompressed size
            return bytes(patched)
        offset += 46 + name_len + extra_len + comment_len
    raise AssertionError(f"{member} is not in the archive")


def giant(data: bytes) -> bytes:
    """The same bomb with every member declaring ~4 GB: over the total cap."""
    return patch_declared_sizes(data, 0xF000_0000)


BOMBS = {".docx": docx_bomb, ".epub": epub_bomb, ".odt": odt_bomb}
BOMB_MEMBERS = {".docx": "word/document.xml", ".epub": "c.xhtml", ".odt": "content.xml"}


@pytest.fixture(scope="module")
def bomb_pool() -> Iterator[OwnPool]:
    """One worker, so its peak memory is the peak of every bomb it unpacked."""
    with own_pool() as pool:
        yield pool


@pytest.mark.parametrize("suffix", sorted(BOMBS))
def test_zip_bombs_fail_fast_with_bounded_memory(
    suffix: str, bomb_pool: OwnPool, tmp_path: Path
) -> None:
    bomb = BOMBS[suffix](BOMB_MB)
    assert len(bomb) < (BOMB_MB << 20) // 200  # a real bomb: over 200:1
    cases = {
        "ratio": (bomb, "too_large"),
        "liar": (liar(bomb, BOMB_MEMBERS[suffix]), "corrupt"),
        "declared": (giant(bomb), "too_large"),
    }
    (pid,) = bomb_pool.pids()
    for kind, (data, reason) in cases.items():
        path = tmp_path / f"{kind}{suffix}"
        path.write_bytes(data)
        cpu_before = cpu_seconds(pid)
        result, seconds = extract_via_pool(bomb_pool.pool, path)
        cpu = cpu_seconds(pid) - cpu_before
        assert_sound(result, seconds, DEFAULT_TIMEOUT_S)
        assert (result.reason, kind) == (reason, kind), result.message
        assert cpu < 1.0, f"{kind}{suffix} took {cpu:.1f} s of CPU"
        FIGURES["zip bombs refused"] = FIGURES.get("zip bombs refused", 0) + 1
        slowest = max(cpu, FIGURES.get("zip bomb max CPU seconds", 0.0))
        FIGURES["zip bomb max CPU seconds"] = round(slowest, 2)
    assert bomb_pool.pids() == {pid}  # no worker died on the way
    peak_mb = proc_field(pid, "status", "VmHWM") / 1024
    assert peak_mb < BOMB_RSS_LIMIT_MB
    FIGURES["zip bomb max worker RSS (MB)"] = round(
        max(peak_mb, FIGURES.get("zip bomb max worker RSS (MB)", 0.0)), 1
    )


# -- fixed cases: huge documents -------------------------------------------------------------


def many_page_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages with a line of text each, written by hand in milliseconds."""
    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}

    def obj(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    kids = b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(pages))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, kids))
    obj(3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i in range(pages):
        text = b"BT /F1 12 Tf 72 720 Td (Ledger page %d) Tj ET" % (i + 1)
        obj(
            4 + 2 * i,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i),
        )
        obj(5 + 2 * i, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text))
    count = 4 + 2 * pages
    xref = len(out)
    out.extend(b"xref\n0 %d\n0000000000 65535 f \n" % count)
    out.extend(b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, count)))
    out.extend(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref))
    return bytes(out)


def test_pdf_with_10000_pages_is_extracted_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pdf"
    path.write_bytes(many_page_pdf(10_000))
    with own_pool() as own:
        result, seconds = extract_via_pool(own.pool, path)
    assert_sound(result, seconds, DEFAULT_TIMEOUT_S)
    document = result.document
    if document is None:  # allowed by the contract, but then only for running out of time
        assert result.reason == "timeout"
        FIGURES["10,000-page PDF"] = f"timeout after {seconds:.1f} s"
        return
    assert [s.page for s in document.segments] == list(range(1, 10_001))
    assert "Ledger page 10000" in document.text
    FIGURES["10,000-page PDF"] = f"all 10000 pages extracted in {seconds:.1f} s"


def test_sparse_2gb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.touch()
    os.truncate(path, 2 << 30)
    errors: list[tuple[str, str]] = []
    (found,) = walk([str(tmp_path)], Exclusions(), errors=errors)
    assert (found.size, errors) == (2 << 30, [])
    assert make_plan([found], {}, lambda _: True).new == [found]  # planned, not hashed
    with own_pool() as own:
        (pid,) = own.pids()
        before = proc_field(pid, "io", "rchar")
        result, seconds = extract_via_pool(own.pool, path)
        read = proc_field(pid, "io", "rchar") - before
    assert_sound(result, seconds, DEFAULT_TIMEOUT_S)
    assert result.reason == "too_large" and str(2 << 30) in result.message
    assert read < 1 << 20, f"the worker read {read} bytes of a file it must refuse"
    FIGURES["2 GB sparse file"] = f"too_large in {seconds:.2f} s, {read} bytes read"


def _one_line(path: Path, megabytes: int) -> None:
    """Words without a single newline or sentence end: one 'paragraph' of ``megabytes`` MiB."""
    rng = random.Random(megabytes)
    block = b" ".join(b"w%05d" % rng.randrange(100_000) for _ in range(8192)) + b" "
    with path.open("wb") as fh:
        written = 0
        while written < megabytes << 20:
            fh.write(block)
            written += len(block)


def _count_words(text: str) -> int:
    """A tokenizer stand-in (about two WordPiece tokens per "w12345" word), linear and cheap."""
    return 2 * len(text.split())


@pytest.mark.parametrize("real_tokenizer", [False, pytest.param(True, marks=pytest.mark.soak)])
def test_50mb_single_line_text_is_capped_in_linear_time(
    real_tokenizer: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    _one_line(small, 5)
    _one_line(large, 50)
    with own_pool() as own:
        (pid,) = own.pids()
        start_cpu = cpu_seconds(pid)
        small_result, small_s = extract_via_pool(own.pool, small)
        small_cpu = cpu_seconds(pid) - start_cpu
        result, seconds = extract_via_pool(own.pool, large)
        large_cpu = cpu_seconds(pid) - start_cpu - small_cpu
    for item, took in ((small_result, small_s), (result, seconds)):
        assert_sound(item, took, DEFAULT_TIMEOUT_S)
        assert item.document is not None
    document = result.document
    assert document is not None and len(document.text) == MAX_CHARS  # capped, not refused
    # Linear: ten times the bytes (of which 4x survive the cap) may cost ~10x, never ~100x.
    # CPU time, not wall time: other processes on a busy machine must not fail this.
    assert large_cpu < 20 * small_cpu + 1.0, (small_cpu, large_cpu)
    if real_tokenizer:
        from desktop_app.engine.embedder import Embedder

        model: InstalledModel = request.getfixturevalue("default_model")
        embedder = Embedder(model)
        try:
            count, window = embedder.count_tokens, embedder.max_text_tokens
            started = time.monotonic()
            chunks = chunk_document(document, count, window)
        finally:
            embedder.close()
    else:
        count, window = _count_words, 254
        started = time.monotonic()
        chunks = chunk_document(document, count, window)
    chunk_s = time.monotonic() - started
    assert chunks and all(c.tokens <= window for c in chunks)
    assert chunks[-1].char_end == len(document.text)
    assert all(a.char_start < b.char_start for a, b in itertools.pairwise(chunks))
    label = "real tokenizer" if real_tokenizer else "word counter"
    FIGURES["50 MB one-line text"] = (
        f"extracted and capped at {MAX_CHARS} chars in {seconds:.1f} s, {large_cpu:.1f} s CPU "
        f"(5 MB: {small_cpu:.1f} s CPU)"
    )
    FIGURES[f"50 MB one-line text, chunking ({label})"] = f"{len(chunks)} chunks in {chunk_s:.1f} s"


# -- fixed cases: a crashed and a frozen worker ----------------------------------------------


@pytest.mark.parametrize(
    ("sig", "reason"),
    [
        pytest.param(signal.SIGSEGV, "corrupt", id="SIGSEGV"),
        pytest.param(signal.SIGSTOP, "timeout", id="SIGSTOP"),
    ],
)
def test_crashed_or_frozen_worker_is_replaced_and_the_file_recorded(
    sig: signal.Signals, reason: str, tmp_path: Path
) -> None:
    """What a segfault in PDFium or an endless loop does, caused on purpose mid-file."""
    slow = tmp_path / "slow.txt"
    _one_line(slow, 20)  # ~2 s to extract: the signal lands while the worker is busy
    after = tmp_path / "after.txt"
    after.write_text("The next file is extracted by the replacement worker.\n")
    timeout = 4.0
    with own_pool(timeout=timeout) as own:
        (pid,) = own.pids()
        timer = threading.Timer(0.3, os.kill, (pid, sig))
        timer.start()
        try:
            result, seconds = extract_via_pool(own.pool, slow)
        finally:
            timer.join()
        follow, _ = extract_via_pool(own.pool, after)
        (replacement,) = own.pids()
    assert_sound(result, seconds, timeout)
    assert result.reason == reason and result.content_hash
    assert follow.document is not None and "replacement worker" in follow.document.text
    assert replacement != pid
    FIGURES[f"worker killed by {sig.name} mid-file"] = (
        f"recorded as {result.reason} in {seconds:.1f} s, worker replaced"
    )


# -- fixed cases: e-mail headers -------------------------------------------------------------

HOSTILE_HEADERS = {
    "To": b'"' * 50_000,
    "From": b"\\" * 50_000,
    "Subject": b"=?utf-8?q?a?= " * 20_000,
    "Cc": b"a@b, " * 20_000,
    "Content-Type": b"text/plain; charset=" + b'"' * 20_000,
    "Content-Disposition": b"attachment; filename=" + b'";' * 20_000,
}


def test_hostile_email_headers_do_not_stall_a_worker(tmp_path: Path) -> None:
    """policy.default's header parser took 100 s on the 50 KB ``To`` (see extract/mail.py)."""
    slowest = 0.0
    with own_pool() as own:
        (pid,) = own.pids()
        for name, value in HOSTILE_HEADERS.items():
            path = tmp_path / f"{name}.eml"
            path.write_bytes(b"%s: %s\r\n\r\nThe body survives.\r\n" % (name.encode(), value))
            cpu_before = cpu_seconds(pid)
            result, seconds = extract_via_pool(own.pool, path)
            cpu = cpu_seconds(pid) - cpu_before
            assert_sound(result, seconds, DEFAULT_TIMEOUT_S)
            assert cpu < 1.0, f"{name}: {cpu:.1f} s of CPU"
            if name != "Content-Disposition":  # there the body is an unnamed attachment
                assert result.document is not None and "body survives" in result.document.text
            slowest = max(slowest, cpu)
    FIGURES["e-mails with 20-50 KB hostile headers"] = (
        f"{len(HOSTILE_HEADERS)} extracted, slowest {slowest:.2f} s of CPU"
    )


# -- fixed cases: folders --------------------------------------------------------------------


@pytest.fixture
def engine(default_model: InstalledModel) -> Iterator[Engine]:
    engine = Engine(Settings.load(), model=default_model)
    yield engine
    engine.close()


def hits(engine: Engine, query: str) -> list[str]:
    return [hit.path for hit in engine.search(query, limit=5).results]


def test_folder_tree_200_levels_deep_is_walked_and_indexed(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "deep"
    folder = root
    placed: dict[int, Path] = {}
    for level in range(1, 201):
        folder = folder / f"level{level:03d}"
        if level in (1, 100, 200):
            placed[level] = folder / f"note{level}.txt"
    folder.mkdir(parents=True)
    for level, path in placed.items():
        path.write_text(f"At depth {level} the marmot{level} keeps its cellar of turnips.\n")
    engine.add_folders([root])
    summary = engine.index()
    assert (summary.indexed, summary.failed, summary.errors) == (3, 0, [])
    deepest = str(placed[200])
    assert len(deepest) > 1800
    assert hits(engine, "marmot200 cellar")[0] == deepest
    assert engine.status().files.indexed == 3
    FIGURES["folder tree 200 levels deep"] = (
        f"{summary.indexed} files indexed, deepest path {len(deepest)} chars found by search"
    )


def _fill(folder: Path, count: int) -> None:
    """``count`` tiny files, one system call each (no Python file objects)."""
    folder.mkdir()
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        for i in range(count):
            os.close(os.open(f"f{i:06d}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor))
    finally:
        os.close(descriptor)


@pytest.mark.parametrize(
    "count", [10_000, pytest.param(100_000, marks=pytest.mark.soak, id="100000")]
)
def test_many_files_in_one_folder_are_walked_and_counted(count: int, tmp_path: Path) -> None:
    folder = tmp_path / "wide"
    _fill(folder, count)
    (folder / "sub").mkdir()
    (folder / "sub" / "last.md").write_text("# one more\n")
    started = time.monotonic()
    errors: list[tuple[str, str]] = []
    found = list(walk([str(folder)], Exclusions(), errors=errors))
    plan = make_plan(found, {}, lambda _: True)
    seconds = time.monotonic() - started
    assert errors == []
    assert len(found) == len({info.path for info in found}) == count + 1
    assert len(plan.new) == count + 1 and not plan.hashes  # nothing read on a first run
    FIGURES[f"{count:,} files in one folder"] = f"walked and planned in {seconds:.1f} s"


def test_symlink_loops_and_links_out_of_the_folder(engine: Engine, tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "inner").mkdir(parents=True)
    outside.mkdir()
    (root / "inner" / "own.txt").write_text("The heron9 watches the pond.\n")
    (outside / "secret.txt").write_text("The pangolin7 counts its scales.\n")
    (root / "inner" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to("self")  # a link to itself
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "secret-link.txt").symlink_to(outside / "secret.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    engine.add_folders([root])
    assert not engine.settings["follow_symlinks"]  # the default

    summary = engine.index()
    manifest = engine.store.manifest()
    assert sorted(manifest) == [str(root / "inner" / "own.txt")]
    assert (summary.indexed, summary.failed, summary.errors) == (1, 0, [])
    assert set(hits(engine, "pangolin7 scales")) <= set(manifest)
    # The watcher reports link paths too: they are not followed either.
    links = [root / name for name in ("out", "secret-link.txt", "dangling.txt", "self")]
    assert engine.plan_paths([str(p) for p in links]).to_index == []

    engine.settings.set("follow_symlinks", True)
    followed = engine.index()
    # Followed on request, each folder once (the loop back to the root is cut), and the link
    # to itself reported instead of walked.
    assert sorted(engine.store.manifest()) == [
        str(root / "inner" / "own.txt"),
        str(root / "out" / "secret.txt"),
        str(root / "secret-link.txt"),
    ]
    assert [(e["path"], e["reason"]) for e in followed.errors] == [
        (str(root / "self"), "unreadable")
    ]
    FIGURES["symlink loops and links out of the folder"] = (
        f"not followed by default (1 file indexed); followed on request: "
        f"{followed.indexed} more, the loop walked once"
    )


def _bytes_name(folder: Path, name: bytes, content: bytes) -> Path:
    """Create a file whose name is raw bytes (Linux allows any but "/" and NUL)."""
    path = os.fsencode(folder) + b"/" + name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, content)
    finally:
        os.close(descriptor)
    return Path(os.fsdecode(path))


def test_names_that_are_not_utf8_are_indexed_and_found(engine: Engine, tmp_path: Path) -> None:
    """Latin-1 names (old archives, USB sticks) are indexed like any other file, by scan and
    by watcher, and come back as keys that open the very same file."""
    root = tmp_path / "names"
    root.mkdir()
    (root / "fine.txt").write_text("The okapi3 grazes near the river.\n")
    latin1 = _bytes_name(root, b"caf\xe9 menu.txt", b"The espresso5 menu lists ristretto.\n")
    os.mkdir(os.fsencode(root) + b"/dir\xff")
    inner = _bytes_name(root / os.fsdecode(b"dir\xff"), b"inner.txt", b"The walrus4 sings.\n")
    engine.add_folders([root])

    summary = engine.index()
    assert (summary.indexed, summary.failed, summary.errors) == (3, 0, [])
    found = hits(engine, "espresso5 ristretto menu")
    assert found[0] == pathnames.key(str(latin1))
    assert pathnames.os_path(found[0]) == str(latin1)  # the exact name, bytes and all
    assert pathnames.display(found[0]) == str(root) + "/caf\\xe9 menu.txt"
    assert hits(engine, "walrus4 sings")[0] == pathnames.key(str(inner))
    status = engine.status()
    assert status.files.indexed == 3
    assert status.folders[0].indexed == 3
    json.dumps(summary.errors, ensure_ascii=False).encode("utf-8")  # no UnicodeEncodeError
    json.dumps(asdict(status), ensure_ascii=False).encode("utf-8")

    # The watcher hands OS paths over (no walk): an edit is re-indexed under the same key.
    with open(os.fsencode(latin1), "ab") as fh:
        fh.write(b"Now also lungo7 on Sundays.\n")
    watched = engine.run_plan(engine.plan_paths([str(latin1), str(inner)]))
    assert (watched.indexed, watched.errors) == (1, [])
    assert hits(engine, "lungo7 Sundays")[0] == pathnames.key(str(latin1))
    # A rename to another undecodable name moves the rows, nothing is embedded again.
    renamed = Path(os.fsdecode(os.fsencode(root) + b"/men\xfc.txt"))
    os.rename(latin1, renamed)
    moved = engine.run_plan(engine.plan_paths([str(latin1), str(renamed)]))
    assert (moved.renamed, moved.embedded) == (1, 0)
    assert hits(engine, "lungo7 Sundays")[0] == pathnames.key(str(renamed))
    assert engine.store.doctor().ok
    FIGURES["names that are not valid UTF-8"] = (
        "indexed, found by content, edited and renamed under their exact bytes "
        "(2 names, by scan and by watcher); 0 crashes, 0 left out"
    )


def test_hostile_folder_is_indexed_and_every_failure_recorded(
    engine: Engine, seeds: dict[str, bytes], tmp_path: Path
) -> None:
    """The whole app path (plan, pool, pipeline, store) over a folder of hostile files: each
    ends in the manifest as indexed, or failed/skipped with a known reason and a message."""
    root = tmp_path / "hostile"
    root.mkdir()
    rng = random.Random(8)
    names = sorted(seeds)
    for i in range(16):  # mutated documents, as the fuzzer makes them
        name = rng.choice(names)
        edits = [
            (
                rng.choice(EDIT_KINDS),
                rng.randrange(1 << 24),
                rng.randrange(1, 512),
                rng.randbytes(8),
            )
            for _ in range(rng.randint(1, 4))
        ]
        (root / f"mutated{i:02d}{Path(name).suffix or '.txt'}").write_bytes(
            mutate(seeds[name], edits)
        )
    for suffix, make in BOMBS.items():
        (root / f"bomb{suffix}").write_bytes(make(16))
        (root / f"liar{suffix}").write_bytes(liar(make(16), BOMB_MEMBERS[suffix]))
    huge = root / "huge.log"
    huge.touch()
    os.truncate(huge, 2 << 30)
    (root / "headers.eml").write_bytes(b"To: " + b'"' * 50_000 + b"\r\n\r\nbody words\r\n")
    (root / "good.txt").write_text("The capybara2 naps in the warm spring.\n")
    _bytes_name(root, b"bad\xe9name.txt", b"unreachable words\n")
    engine.add_folders([root])

    started = time.monotonic()
    summary = engine.index()
    seconds = time.monotonic() - started
    manifest = engine.store.manifest()
    on_disk = {pathnames.key(str(p)) for p in root.iterdir()}
    assert set(manifest) == on_disk  # every file has its row, whatever its name
    reasons: Counter[str] = Counter()
    for row in manifest.values():
        if row.status == STATUS_INDEXED:
            assert row.chunk_count > 0 and not row.reason
            reasons["indexed"] += 1
        else:
            assert row.reason in REASONS and row.message.strip(), row
            reasons[row.reason] += 1
    assert manifest[str(huge)].reason == "too_large"
    for suffix in BOMBS:
        assert manifest[str(root / f"bomb{suffix}")].reason == "too_large"
        assert manifest[str(root / f"liar{suffix}")].reason == "corrupt"
    assert manifest[str(root / "headers.eml")].status == STATUS_INDEXED
    assert summary.indexed == reasons["indexed"]
    assert summary.failed + summary.skipped == len(manifest) - reasons["indexed"]
    assert manifest[pathnames.key(str(root) + "/" + os.fsdecode(b"bad\xe9name.txt"))].status == (
        STATUS_INDEXED
    )
    status = engine.status()
    assert status.files.failed == summary.failed
    assert all(f.reason in REASONS for f in status.failures)
    assert hits(engine, "capybara2 spring")[0] == str(root / "good.txt")
    assert engine.store.doctor().ok
    FIGURES["hostile folder indexed by the Engine"] = (
        f"{len(manifest)} files in {seconds:.1f} s: {_listing(reasons)}, "
        "1 name that is not UTF-8 indexed"
    )
