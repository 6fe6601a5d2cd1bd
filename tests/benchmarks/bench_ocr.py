"""OCR engines on the same generated pages: character error rate, phrases kept, speed, memory.

Usage: ``python -m tests.benchmarks.bench_ocr [--engines rapidocr3-lean,tesseract,...]
[--rapidocr14-python PATH] [--merge] [--regenerate]`` (``make bench-ocr``).

The pages are ocr_pages.py's set (real CACM prose, A4, 150 and 300 dpi, several fonts and
sizes, rotated, blurred, noisy; PNG, JPEG, bilevel and multi-page TIFF, image-only PDF). Each
engine runs in a fresh subprocess (``--worker``) over every page of both resolutions, so the
memory it adds is measured cleanly: the worker's memory (its own process plus any child, e.g.
the ``tesseract`` binary pytesseract starts) is sampled every 50 ms; *added* is the peak minus
the level after the image libraries were imported and before the engine was. Threads are held
to 2 (``OMP_NUM_THREADS``, ONNX Runtime's intra-op threads; tesseract gets
``OMP_THREAD_LIMIT=1``, its fastest setting here, see ``_engine``). Images are
decoded the way the app would (Pillow; PDF pages rendered with pypdfium2 at the file's dpi),
outside the timed OCR call.

Scores, per page against the text drawn on it, then by engine and dpi:

* **CER**: Levenshtein distance between ground truth and OCR text, both with whitespace runs
  collapsed to one space, divided by the ground truth's length; also the CER with all
  whitespace removed (what the characters alone are worth: an engine that drops the spaces
  between words scores well there and badly on the first).
* **Phrase share**: of the 4-word phrases (lower-cased ``\\w+`` words) that occur on exactly
  one page of the set, the share found verbatim among the OCR text's 4-word phrases. A proxy
  for "share of unique phrases found by search" until that is measured through the app's own
  indexing and search.
* **Seconds per page**: wall time of the OCR call, median over the pages; also CPU seconds
  (the worker and its children), which the shared machine's other jobs disturb less. Timed
  in a second pass over the pages, with the memory sampler stopped.

Engines (``ENGINES``): ``rapidocr`` (rapidocr-onnxruntime 1.4.x, PP-OCRv4 models inside the
wheel; run with ``--rapidocr14-python``, a venv that has it, since its cv2 wheel conflicts
with 3.x's), ``rapidocr3`` (rapidocr 3.x, PP-OCRv6 small models inside the wheel, the app's
dependency, its default settings), ``rapidocr3-lean`` (the app's own ``recognize``: the same
models with the settings in ``desktop_app/engine/ocr/rapid.py``: the detector's input at most
960 px on its long side, one line per recognition batch, the language mask),
``tesseract`` (the system ``tesseract`` through pytesseract, LSTM, automatic page
segmentation). Results go to docs/benchmarks/ocr.json (``report.py`` renders them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

THREADS = 2
ENGINES = ("rapidocr", "rapidocr3", "rapidocr3-lean", "tesseract")
TARGETS = {"cer_300": 0.03, "cer_150": 0.06, "phrase_share": 0.95, "s_per_page_150": 2.0}
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- scoring (parent side)


def normalise(text: str) -> str:
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time (insertions by a running minimum)."""
    import numpy as np

    if not a or not b:
        return max(len(a), len(b))
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    offsets = np.arange(len(b) + 1)
    prev = offsets.copy()
    codes = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    for i, code in enumerate(codes, start=1):
        cur = np.empty_like(prev)
        cur[0] = i
        # deletion (from above) or substitution/match (diagonal)
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (bb != code))
        # insertion: cur[j] = min over k <= j of cur[k] + (j - k)
        cur = np.minimum.accumulate(cur - offsets) + offsets
        prev = cur
    return int(prev[-1])


def cer(truth: str, ocr: str) -> float:
    t = normalise(truth)
    return edit_distance(t, normalise(ocr)) / max(1, len(t))


def cer_no_space(truth: str, ocr: str) -> float:
    t = "".join(truth.split())
    return edit_distance(t, "".join(ocr.split())) / max(1, len(t))


def phrases(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def unique_phrases(truths: dict[int, str]) -> dict[int, set[tuple[str, ...]]]:
    """Each page's 4-word phrases that appear on no other page of the set."""
    by_page = {i: phrases(t) for i, t in truths.items()}
    counts = Counter(p for ps in by_page.values() for p in ps)
    return {i: {p for p in ps if counts[p] == 1} for i, ps in by_page.items()}


# ---------------------------------------------------------------- the worker (one engine)


def _limit_threads() -> None:
    for var in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(THREADS)


class MemorySampler(threading.Thread):
    """Peak RSS (every 50 ms) and PSS (every 0.5 s) of this process and its children.

    RSS comes from ``/proc/<pid>/statm`` (cheap); PSS from ``smaps_rollup``, which costs the
    kernel a walk of the page tables, so it is read ten times less often.
    """

    def __init__(self, interval: float = 0.05, pss_every: int = 10) -> None:
        super().__init__(daemon=True)
        import psutil

        self.proc = psutil.Process()
        self.interval, self.pss_every = interval, pss_every
        self.peak_rss = self.peak_pss = 0
        self.stopping = threading.Event()

    def sample(self, pss: bool = True) -> tuple[int, int]:
        import psutil

        rss_sum = pss_sum = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                rss_sum += p.memory_info().rss
                if pss:
                    pss_sum += _pss(p.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied, OSError):
                continue
        return rss_sum, pss_sum

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            rss, pss = self.sample(pss=n % self.pss_every == 0)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            n += 1
            time.sleep(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def _pss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _engine(name: str) -> tuple[Any, dict[str, Any]]:
    """``(ocr(image) -> text, facts)`` for the named engine, loaded."""
    import numpy as np

    if name == "rapidocr":
        import rapidocr_onnxruntime
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1)

        def ocr_rapid(image: Any) -> str:
            result, _ = engine(np.asarray(image.convert("RGB")), use_cls=False)
            return "\n".join(line[1] for line in result or [])

        version = _dist_version("rapidocr-onnxruntime")
        call = (
            "RapidOCR(intra_op_num_threads=2, inter_op_num_threads=1)(rgb_array, "
            "use_cls=False); defaults otherwise (text_score 0.5, det limit_side_len 736 min, "
            "max_side_len 2000, rec_batch_num 6)"
        )
        del rapidocr_onnxruntime
        return ocr_rapid, {"version": version, "call": call, "models": "PP-OCRv4 det/rec (ch)"}
    if name == "rapidocr3-lean":
        # The app's own path: its settings, channel order, reading order and language mask.
        from desktop_app.engine.ocr import page_text, rapid, recognize

        rapid._load()

        def ocr_app(image: Any) -> str:
            return page_text(recognize(image))

        settings = ", ".join(f"{k!r}: {v!r}" for k, v in rapid.SETTINGS.items())
        return ocr_app, {
            "version": _dist_version("rapidocr"),
            "call": f"the app's desktop_app.engine.ocr.recognize (RapidOCR({{{settings}}}))",
            "models": "PP-OCRv6 small det/rec (ch)",
        }
    if name == "rapidocr3":
        from rapidocr import RapidOCR as RapidOCR3

        params: dict[str, Any] = {
            "Global.use_cls": False,
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        engine3 = RapidOCR3(params=params)

        def ocr_rapid3(image: Any) -> str:
            out = engine3(np.asarray(image.convert("RGB")))
            return "\n".join(out.txts or ())

        call = (
            "RapidOCR(params={'Global.use_cls': False, 'EngineConfig.onnxruntime."
            "intra_op_num_threads': 2, 'EngineConfig.onnxruntime.inter_op_num_threads': 1})"
            "(rgb_array).txts; default models (PP-OCRv6 small det/rec, in the wheel)"
        )
        return ocr_rapid3, {
            "version": _dist_version("rapidocr"),
            "call": call,
            "models": "PP-OCRv6 small det/rec (ch)",
        }
    if name == "tesseract":
        import pytesseract

        config = "--oem 1 --psm 3"
        # One OpenMP thread per tesseract: with 2 it spins, and on this shared machine a page
        # took 27 s instead of 4 (measured with the CLI on one 150 dpi page).
        os.environ["OMP_THREAD_LIMIT"] = "1"

        def ocr_tess(image: Any) -> str:
            return pytesseract.image_to_string(image, lang="eng", config=config)

        version = str(pytesseract.get_tesseract_version())
        return ocr_tess, {
            "version": f"tesseract {version}, pytesseract {_dist_version('pytesseract')}",
            "call": f"pytesseract.image_to_string(pil_image, lang='eng', config='{config}') "
            "with OMP_THREAD_LIMIT=1 (one tesseract process per page)",
            "models": "eng.traineddata (Debian tesseract-ocr-eng)",
        }
    raise SystemExit(f"unknown engine {name!r}")


def _dist_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def _pages(
    folder: Path, first_only: bool = False
) -> Iterator[tuple[dict[str, Any], int, Any, float]]:
    """``(file entry, page index, PIL image, decode seconds)`` for each page, file by file."""
    from PIL import Image

    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["files"][:1] if first_only else manifest["files"]:
        path = folder / entry["file"]
        start = time.perf_counter()
        if entry["format"] == "pdf":
            import pypdfium2

            pdf = pypdfium2.PdfDocument(str(path))
            images = [pdf[i].render(scale=entry["dpi"] / 72).to_pil() for i in range(len(pdf))]
            pdf.close()
        else:
            with Image.open(path) as im:
                images = []
                for frame in range(getattr(im, "n_frames", 1)):
                    im.seek(frame)
                    images.append(im.copy())
        decode_s = (time.perf_counter() - start) / len(images)
        yield from (
            (entry, i, img, decode_s) for i, img in zip(entry["pages"], images, strict=True)
        )


def worker(name: str, folder: Path, out: Path) -> None:
    """Run one engine over every page; write texts, times and memory to ``out``."""
    _limit_threads()
    import numpy  # noqa: F401  (the image libraries count toward the baseline)
    import PIL.Image  # noqa: F401
    import psutil  # noqa: F401
    import pypdfium2  # noqa: F401

    sampler = MemorySampler()
    base_rss, base_pss = sampler.sample()
    sampler.start()
    start = time.perf_counter()
    ocr, facts = _engine(name)
    load_s = time.perf_counter() - start
    loaded_rss, loaded_pss = sampler.sample()
    pages = []
    ocr(
        next(_pages(folder, first_only=True))[2]
    )  # warm-up: the first call allocates the inference arenas
    for entry, index, image, decode_s in _pages(folder):
        cpu0, t0 = _cpu_seconds(), time.perf_counter()
        text = ocr(image)
        seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
        pages.append(
            {
                "dpi": entry["dpi"],
                "page": index,
                "format": entry["format"],
                "size": list(image.size),
                "decode_s": round(decode_s, 3),
                "seconds": round(seconds, 3),
                "cpu_s": round(cpu, 3),
                "text": text,
            }
        )
        print(f"{name} {entry['dpi']} page {index:2d} {seconds:6.2f} s", file=sys.stderr)
    sampler.stop()
    # The times come from a second pass without the sampler: its /proc walks 20 times a
    # second take CPU the engine's two threads would use on a 2-core machine.
    for page, (_, _, image, _) in zip(pages, _pages(folder), strict=True):
        cpu0, t0 = _cpu_seconds(), time.perf_counter()
        ocr(image)
        page["seconds"] = round(time.perf_counter() - t0, 3)
        page["cpu_s"] = round(_cpu_seconds() - cpu0, 3)
    out.write_text(
        json.dumps(
            {
                **facts,
                "load_s": round(load_s, 2),
                "base_rss_mb": round(base_rss / 2**20, 1),
                "base_pss_mb": round(base_pss / 2**20, 1),
                "loaded_added_rss_mb": round((loaded_rss - base_rss) / 2**20, 1),
                "loaded_added_pss_mb": round((loaded_pss - base_pss) / 2**20, 1),
                "peak_added_rss_mb": round((sampler.peak_rss - base_rss) / 2**20, 1),
                "peak_added_pss_mb": round((sampler.peak_pss - base_pss) / 2**20, 1),
                "pages": pages,
            }
        )
    )


# ---------------------------------------------------------------- the parent


def _run_engine(name: str, python: str, folder: Path) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for var in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT"):
            env[var] = str(THREADS)
        cmd = [python, "-m", "tests.benchmarks.bench_ocr", "--worker", name, "--out", str(out)]
        start = time.perf_counter()
        proc = subprocess.run(
            [*cmd, "--pages-dir", str(folder)], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
        )
        log = proc.stderr
        if proc.returncode != 0 or not out.exists():
            print(f"{name}: failed ({proc.returncode})\n{log[-3000:]}", file=sys.stderr)
            return None
        data = json.loads(out.read_text())
        data["run_s"] = round(time.perf_counter() - start, 1)
        data["downloaded"] = bool(re.search(r"download", log, re.IGNORECASE))
        return data


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4) if values else float("nan")


def score(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Per-page scores added to ``data['pages']`` and the summaries by dpi and format."""
    summary: dict[str, Any] = {"by_dpi": {}, "by_format": {}}
    for dpi in sorted({p["dpi"] for p in data["pages"]}):
        truths = {
            p["page"]: (folder / str(dpi) / f"page_{p['page']:02d}.txt").read_text()
            for p in data["pages"]
            if p["dpi"] == dpi
        }
        unique = unique_phrases(truths)
        rows = [p for p in data["pages"] if p["dpi"] == dpi]
        found = total = 0
        edits = chars = 0
        for p in rows:
            truth = truths[p["page"]]
            p["cer"] = round(cer(truth, p["text"]), 4)
            p["cer_no_space"] = round(cer_no_space(truth, p["text"]), 4)
            got = phrases(p["text"]) & unique[p["page"]]
            p["phrase_share"] = round(len(got) / max(1, len(unique[p["page"]])), 4)
            found, total = found + len(got), total + len(unique[p["page"]])
            n = len(normalise(truth))
            edits, chars = edits + p["cer"] * n, chars + n
        summary["by_dpi"][str(dpi)] = {
            "pages": len(rows),
            "cer_median": _median([p["cer"] for p in rows]),
            "cer_pooled": round(edits / max(1, chars), 4),
            "cer_max": max(p["cer"] for p in rows),
            "cer_no_space_median": _median([p["cer_no_space"] for p in rows]),
            "phrase_share": round(found / max(1, total), 4),
            "s_per_page_median": _median([p["seconds"] for p in rows]),
            "s_per_page_max": max(p["seconds"] for p in rows),
            "cpu_s_per_page_median": _median([p["cpu_s"] for p in rows]),
            "decode_s_median": _median([p["decode_s"] for p in rows]),
        }
        for fmt in sorted({p["format"] for p in rows}):
            of = [p for p in rows if p["format"] == fmt]
            summary["by_format"][f"{dpi}/{fmt}"] = {
                "pages": len(of),
                "cer_median": _median([p["cer"] for p in of]),
                "s_per_page_median": _median([p["seconds"] for p in of]),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The app's engine (rapidocr3-lean) runs in this venv; "rapidocr" (1.4, rapidocr-onnxruntime)
    # and tesseract need a Python that has them (--rapidocr14-python) and the system binary.
    parser.add_argument("--engines", default="rapidocr3-lean,rapidocr3,tesseract")
    parser.add_argument("--rapidocr14-python", default=os.environ.get("RAPIDOCR14_PYTHON"))
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--pages-dir", type=Path, default=None)
    parser.add_argument("--worker", choices=ENGINES)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-write", action="store_true", help="print, do not write the JSON")
    parser.add_argument(
        "--merge", action="store_true", help="keep the other engines of the existing ocr.json"
    )
    args = parser.parse_args()

    from tests.benchmarks import ocr_pages

    folder = args.pages_dir or ocr_pages.WORK
    if args.worker:
        worker(args.worker, folder, args.out)
        return

    started = time.perf_counter()
    if args.regenerate or not (folder / "manifest.json").exists():
        ocr_pages.generate(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    load_before = os.getloadavg()
    engines: dict[str, Any] = {}
    for name in args.engines.split(","):
        python = sys.executable
        if name == "rapidocr":
            if not args.rapidocr14_python:
                print("rapidocr 1.4: skipped (no --rapidocr14-python)", file=sys.stderr)
                continue
            python = args.rapidocr14_python
        data = _run_engine(name, python, folder)
        if data is None:
            continue
        data["summary"] = score(data, folder)
        engines[name] = data
        for dpi, s in data["summary"]["by_dpi"].items():
            print(
                f"{name:10s} {dpi} dpi: CER {s['cer_median']:.2%} (pooled {s['cer_pooled']:.2%},"
                f" no spaces {s['cer_no_space_median']:.2%}), phrases {s['phrase_share']:.1%}, "
                f"{s['s_per_page_median']} s/page (cpu {s['cpu_s_per_page_median']}), "
                f"+{data['peak_added_pss_mb']} MB PSS peak"
            )
    for data in engines.values():
        for p in data["pages"]:
            p["text_chars"] = len(p.pop("text"))
    payload = {
        "targets": TARGETS,
        "threads": THREADS,
        "pages": {
            "per_dpi": len(manifest["pages"]),
            "files": manifest["files"],
            "layouts": manifest["pages"],
            "fonts": sorted(manifest["fonts"]),
            "seed": manifest["seed"],
        },
        "engines": engines,
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.no_write:
        print(json.dumps({k: v["summary"] for k, v in engines.items()}, indent=2))
        return
    from tests.benchmarks.common import RESULTS_DIR, write_result

    previous = RESULTS_DIR / "ocr.json"
    if args.merge and previous.exists():
        old = json.loads(previous.read_text())
        payload["engines"] = {**old["engines"], **engines}
        payload["seconds"] = round(old["seconds"] + payload["seconds"], 1)

    print(f"wrote {write_result('ocr', payload)}")


if __name__ == "__main__":
    main()
