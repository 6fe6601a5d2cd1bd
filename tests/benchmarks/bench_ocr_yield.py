"""Does OCR give way to searches? Search latency while scanned pages are being read (issue 17).

Usage: ``python -m tests.benchmarks.bench_ocr_yield [--rounds 2]``.

The app reads a page with two ONNX Runtime threads in a worker process lowered in priority
(``engine/ocr/phase.py``), so a search typed meanwhile should get the cores first. This
measures it through the app's own ``Engine``, in a fresh temporary home with the default
model: the ground-truth texts of ``ocr_pages`` are indexed as text files, and the same
queries (three words drawn from those texts, seeded) are searched

* **idle**: nothing else running;
* **during OCR**: while a second folder of the benchmark's page files (150 and 300 dpi, 28
  pages) is being indexed in another thread, counting only searches that start and end
  while a page is being read (the progress report names a file under OCR).

Rounds alternate idle and OCR (the OCR folder is forgotten and indexed again each round,
its OCR cache deleted), so both see the same machine. Searches are a quarter of a second
apart, as typing makes them. Results go to docs/benchmarks/ocr_yield.json; report_ocr.py
renders them under the OCR section.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import ocr_pages
from tests.benchmarks.common import percentiles, write_result

SEED = 1717
QUERIES = 40
#: Pause between searches: a person typing, whose window searches after each pause in typing
#: (back-to-back searches would measure a load no one makes, and starve the OCR).
PACE_S = 0.25


def _queries(texts: list[str]) -> list[str]:
    words = [w.strip(".,;:()\"'").lower() for t in texts for w in t.split()]
    words = [w for w in words if len(w) > 4 and w.isalpha()]
    rng = random.Random(SEED)
    return [" ".join(rng.sample(words, 3)) for _ in range(QUERIES)]


def run(rounds: int) -> dict[str, Any]:
    from desktop_app import paths
    from desktop_app.engine.service import Engine
    from desktop_app.settings import Settings

    if not (ocr_pages.WORK / "manifest.json").is_file():
        ocr_pages.generate()
    work = ocr_pages.WORK
    scratch = Path(tempfile.mkdtemp(prefix="ocr-yield-"))
    text_dir, scan_dir = scratch / "texts", scratch / "scans"
    text_dir.mkdir(parents=True)
    scan_dir.mkdir()
    truths = sorted(work.glob("*/page_*.txt"))
    for truth in truths:
        shutil.copy2(truth, text_dir / f"{truth.parent.name}-{truth.name}")
    for page_file in work.glob("*/file_*"):
        shutil.copy2(page_file, scan_dir / f"{page_file.parent.name}-{page_file.name}")
    queries = _queries([t.read_text() for t in truths])
    paths.set_home(scratch / "home")
    engine = Engine(Settings.load())
    idle: list[float] = []
    during: list[float] = []
    try:
        engine.index(engine.add_folders([text_dir]))
        for query in queries[:5]:
            engine.search(query)  # warm: the query context is loaded, caches filled
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                engine.search(query)
                idle.append((time.perf_counter() - started) * 1000)
                time.sleep(PACE_S)

            reading = threading.Event()

            def progress(p: Any, reading: threading.Event = reading) -> None:
                (reading.set if p.ocr_file else reading.clear)()

            roots = engine.add_folders([scan_dir])
            indexer = threading.Thread(target=engine.index, args=(roots, progress))
            indexer.start()
            while indexer.is_alive():
                for query in queries:
                    if not indexer.is_alive():
                        break
                    if not reading.is_set():
                        time.sleep(0.05)
                        continue
                    started = time.perf_counter()
                    engine.search(query)
                    took = (time.perf_counter() - started) * 1000
                    if reading.is_set():
                        during.append(took)
                    time.sleep(PACE_S)
            indexer.join()
            engine.remove_folder(scan_dir)
            shutil.rmtree(Engine.ocr_cache_dir(), ignore_errors=True)
    finally:
        engine.close()
        shutil.rmtree(scratch, ignore_errors=True)
    if not during:
        raise SystemExit("no search ran while a page was being read: add pages")
    return {
        "rounds": rounds,
        "queries": len(queries),
        "idle": percentiles(idle),
        "during_ocr": percentiles(during),
        "p50_ratio": round(statistics.median(during) / statistics.median(idle), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    data = run(args.rounds)
    data["seconds"] = round(time.perf_counter() - started, 1)
    print(data)
    write_result("ocr_yield", data)


if __name__ == "__main__":
    main()
