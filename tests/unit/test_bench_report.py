"""docs/BENCHMARKS.md stays what the recorded benchmark results say.

The benchmarks themselves are too slow for ``make test`` (``make bench``), but their report is
not: every committed JSON result must render, and the committed page must be the rendering,
so a hand edit or a forgotten ``python -m tests.benchmarks.report`` fails here.
"""

from __future__ import annotations

import json

from tests.benchmarks import report
from tests.benchmarks.common import RESULTS_DIR


def test_every_recorded_result_renders_with_its_targets() -> None:
    expected_rows = {
        "embedding": "| ratio ours/peer | >= ",
        "indexing": "| pipeline overhead | <= ",
        "idle": "| memory at rest, PSS | <= ",
        "search": "| 100,000 |",
        "builds": "| app build, F16 (default) |",
        "quality": "| hybrid |",
        "search_ab": "| 100,000 |",
        "ocr": "| rapidocr3-lean: ",
    }
    # Rendered inside another section: ocr_search and ocr_yield in the OCR section's last
    # paragraphs, indexing_ab as a paragraph of docs/benchmarks/NOTES.md.
    companions = {"ocr_search", "ocr_yield", "indexing_ab"}
    found = sorted(p.stem for p in RESULTS_DIR.glob("*.json") if p.stem not in companions)
    assert set(found) <= set(report.SECTIONS), f"results without a report section: {found}"
    for name in found:
        lines = report.SECTIONS[name](json.loads((RESULTS_DIR / f"{name}.json").read_text()))
        assert any(line.startswith(expected_rows[name]) for line in lines), name


def test_committed_page_is_the_rendering_of_the_results() -> None:
    assert report.OUT.read_text() == report.render(), (
        "docs/BENCHMARKS.md is out of date: run python -m tests.benchmarks.report"
    )
