"""``desktop-search self-test``: prove an installed copy works, end to end, in seconds.

It indexes the sample folder that ships with the app (text, Markdown, HTML, PDF and DOCX, so
the extraction workers, pdfium and the Office readers all run, and a scanned PDF without a text
layer, so OCR runs too), searches it by meaning and by keyword, checks the index with ``doctor``
and prints one JSON report. Installers run it after a build; a user can run it when something
seems wrong. The index goes to a throw-away folder
unless ``--data-dir`` names one, so the user's own folders and index are never touched.
"""

from __future__ import annotations

import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from desktop_app import __version__, paths


@dataclass(frozen=True)
class Probe:
    """A query and the sample file that must rank first for it (and the page of its best
    passage, when ``page`` is given)."""

    query: str
    expected: str
    mode: str = "hybrid"
    page: int | None = None


PROBES = (
    Probe("how long should the loaf bake", "Sourdough bread.md", "vector"),
    Probe("holiday with glaciers and hot springs", "Trip to Iceland.md", "vector"),
    Probe("E7731", "Server runbook.txt", "keyword"),
    Probe("when should I clean the photovoltaic panels", "Solar panel maintenance.pdf"),
    Probe("what does a new hire get on the first day", "Team onboarding.docx"),
    Probe("renegotiate hosting invoice", "Quarterly budget review.txt"),
    Probe("which vegetables need full sun", "Garden planning.html"),
    # Only OCR can read this letter (packaging/scanned_sample.py made it); the words are on page 2.
    Probe("barometer hallway", "Scanned letter.pdf", "keyword", page=2),
)


def sample_dir() -> Path:
    """The sample documents shipped with the app (inside the bundle when frozen)."""
    return paths.resources_dir() / "sample"


@contextmanager
def _scratch_home() -> Iterator[Path]:
    """The data dir the user chose, or a temporary one that is removed afterwards."""
    chosen = paths.home_override()
    if chosen is not None:
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="desktop-search-self-test-") as tmp:
        paths.set_home(tmp)
        try:
            yield Path(tmp)
        finally:
            paths.set_home(None)


def run_self_test() -> dict[str, Any]:
    """Index and search the sample folder; the report's ``ok`` says whether all checks held."""
    from desktop_app.engine.service import Engine

    report: dict[str, Any] = {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
    }
    samples = sample_dir()
    if not samples.is_dir():
        report.update(ok=False, error=f"sample folder missing: {samples}")
        return report
    expected_files = sorted(p.name for p in samples.iterdir() if p.is_file())
    with _scratch_home() as home:
        report["data_dir"] = str(home)
        engine = Engine()
        try:
            report["model"] = engine.model.id
            started = time.perf_counter()
            roots = engine.add_folders([samples])
            summary = engine.index(roots)
            report["index"] = {
                "files": len(expected_files),
                "indexed": summary.indexed,
                "failed": summary.failed,
                "chunks": summary.chunks,
                "seconds": round(time.perf_counter() - started, 2),
                "errors": summary.errors,
            }
            report["searches"] = [_probe(engine, probe) for probe in PROBES]
            doctor = engine.doctor()
            report["doctor"] = {"ok": doctor.ok, "problems": doctor.problems}
        finally:
            engine.close()
    report["ok"] = (
        report["index"]["indexed"] == len(expected_files)
        and report["index"]["failed"] == 0
        and all(search["ok"] for search in report["searches"])
        and report["doctor"]["ok"]
    )
    return report


def _probe(engine: Any, probe: Probe) -> dict[str, Any]:
    response = engine.search(probe.query, limit=3, mode=probe.mode)
    best = response.results[0] if response.results else None
    top = Path(best.path).name if best else None
    top_page = best.page if best else None
    return {
        **asdict(probe),
        "top": top,
        "top_page": top_page,
        "ok": top == probe.expected and (probe.page is None or top_page == probe.page),
        "took_ms": round(response.took_ms, 1),
    }
