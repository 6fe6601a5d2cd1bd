"""The OCR section of docs/BENCHMARKS.md, from docs/benchmarks/ocr.json (bench_ocr.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.benchmarks.common import RESULTS_DIR

SHIPPING = {
    "rapidocr": "models in the wheel (PyPI)",
    "rapidocr3": "models in the wheel (PyPI)",
    "rapidocr3-lean": "models in the wheel (PyPI)",
    "tesseract": "system binary + traineddata (not on PyPI)",
}


def _pct(value: float) -> str:
    return f"{value:.2%}"


def ocr(data: dict[str, Any], machine: str) -> list[str]:
    t = data["targets"]
    pages = data["pages"]
    engines = data["engines"]
    formats = ", ".join(
        f"{f['format']} ({len(f['pages'])} page{'s' if len(f['pages']) > 1 else ''})"
        for f in pages["files"]
        if f["dpi"] == pages["files"][0]["dpi"]
    )
    lines = [
        "## OCR engines",
        "",
        f"Run: {machine}. `python -m tests.benchmarks.bench_ocr`.",
        "",
        f"{pages['per_dpi']} A4 pages of real prose (CACM titles and abstracts; "
        "`tests/benchmarks/ocr_pages.py`, seed "
        f"{pages['seed']}), each rendered at 150 and at 300 dpi in {', '.join(pages['fonts'])} "
        "at 10-14 pt, rotated up to +-1.5 degrees, blurred, with Gaussian or salt-and-pepper "
        f"noise on grey paper; stored per dpi as {formats}. Every engine reads the same pages "
        "in a fresh process, 2 threads. CER: edit distance over the ground truth's length, "
        "whitespace collapsed (median over pages; *pooled* is total edits over total "
        "characters); *without spaces* ignores whitespace altogether. Phrase share: of the "
        "4-word phrases found on only one page, the share present in that page's OCR text "
        "(lower-cased words); a proxy for the share of unique phrases the app's search "
        "finds, which is not measured here. Seconds per page: median wall time of the OCR "
        "call (decoding excluded); CPU is that of the engine's process and its children, "
        "less disturbed by the other jobs on this shared machine. Memory added: peak of the "
        "worker (and its children) minus its level before the engine was imported.",
        "",
        "| engine | ships | CER 300 dpi (target) | CER 150 dpi (target) | CER without spaces "
        "150 / 300 | phrase share 150 / 300 (target) | s/page 150 dpi, wall (target) / CPU "
        "| s/page 300 dpi, wall / CPU | peak memory added, RSS / PSS | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in engines.items():
        lo, hi = e["summary"]["by_dpi"]["150"], e["summary"]["by_dpi"]["300"]
        lines.append(
            f"| {name}: {e['version']}, {e['models']} | {SHIPPING.get(name, '-')} | "
            f"{_pct(hi['cer_median'])} (pooled {_pct(hi['cer_pooled'])}; <= "
            f"{t['cer_300']:.0%}) | {_pct(lo['cer_median'])} (pooled "
            f"{_pct(lo['cer_pooled'])}; <= {t['cer_150']:.0%}) | "
            f"{_pct(lo['cer_no_space_median'])} / {_pct(hi['cer_no_space_median'])} | "
            f"{lo['phrase_share']:.1%} / {hi['phrase_share']:.1%} (>= "
            f"{t['phrase_share']:.0%}) | {lo['s_per_page_median']:.2f} s (<= "
            f"{t['s_per_page_150']:g} s) / {lo['cpu_s_per_page_median']:.2f} s | "
            f"{hi['s_per_page_median']:.2f} / {hi['cpu_s_per_page_median']:.2f} s | "
            f"{e['peak_added_rss_mb']} / {e['peak_added_pss_mb']} MB | {e['load_s']} s |"
        )
    keys = sorted({k for e in engines.values() for k in e["summary"]["by_format"]})
    lines += [
        "",
        "CER by format (median over that format's pages; the bilevel TIFF is thresholded, "
        "the PDF's pages are JPEG images rendered back with pypdfium2):",
        "",
        "| dpi / format | pages | " + " | ".join(engines) + " |",
        "|---|---|" + "---|" * len(engines),
    ]
    for key in keys:
        cells = [e["summary"]["by_format"].get(key) for e in engines.values()]
        n = next(c["pages"] for c in cells if c)
        lines.append(
            f"| {key} | {n} | "
            + " | ".join(_pct(c["cer_median"]) if c else "-" for c in cells)
            + " |"
        )
    lines += ["", "How each engine was called:", ""]
    for name, e in engines.items():
        lines.append(f"- {name}: `{e['call']}`.")
    lines += [
        "",
        f"Run time {data['seconds']} s (all engines); 1-min load average before / after "
        f"{data['load_average_1min']}.",
    ]
    return lines + _search_share() + _yield_to_searches()


def _companion(name: str) -> dict[str, Any] | None:
    """A result rendered inside the OCR section, when its benchmark was run."""
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _search_share() -> list[str]:
    """The real phrase share, by the app's search (bench_ocr_search.py), when it was run."""
    data = _companion("ocr_search")
    if data is None:
        return []
    cells = ", ".join(
        f"{dpi} dpi {r['found']} of {r['sampled']} ({r['share']:.1%}; indexing {r['index_s']} s)"
        for dpi, r in data["by_dpi"].items()
    )
    return [
        "",
        f"Unique phrases found by the app's search (`python -m "
        f"tests.benchmarks.bench_ocr_search`, run {data['machine']['date']}): the page files "
        "of one dpi indexed by the app's engine (default settings, OCR on, fresh home), then "
        "each 4-word phrase found on only one page (a seeded sample of at most "
        f"{data['per_dpi_max']}) searched as a quoted phrase, 10 results; found when that "
        "page's file, and for a multi-page file that page, is among them and the phrase filter "
        "held (not the search's fallback without it): "
        f"{cells}; target >= {data['target_share']:.0%}.",
    ]


def _yield_to_searches() -> list[str]:
    """Search latency while pages are OCR'd (bench_ocr_yield.py), when it was run."""
    data = _companion("ocr_yield")
    if data is None:
        return []
    idle, during = data["idle"], data["during_ocr"]
    return [
        "",
        f"Searches while pages are read (`python -m tests.benchmarks.bench_ocr_yield`, run "
        f"{data['machine']['date']}, {data['rounds']} rounds): the app's engine searches "
        f"{data['queries']} three-word queries a quarter of a second apart, idle and while "
        "the 28 page files are OCR'd in another thread (counting only searches made while a "
        f"page was being read): idle p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms "
        f"({idle['n']} searches); during OCR p50 {during['p50_ms']} ms, p95 "
        f"{during['p95_ms']} ms ({during['n']} searches); p50 ratio "
        f"{data['p50_ratio']}.",
    ]
