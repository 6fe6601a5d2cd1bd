"""Indexing throughput, rescan, memory, change-to-searchable latency and start-up.

On the generated 10,000-file corpus (``corpus10k.py``), in one run:

* **indexing**: files/s and chunks/s end to end (``Engine.index``: scan, extraction workers,
  chunking, embedding, LanceDB commits), against the raw embedder on the very same chunk
  texts in the same batches (``embed_documents`` of 32, as the pipeline calls it), timed in
  slices after each pass. The difference between the passes' mean and the slices' median is
  the pipeline's overhead (target <= 10%: extraction and writes overlap embedding).
* **rescan** of the unchanged tree (``Engine.plan``), against a bare ``os.scandir`` walk with
  ``stat`` of the same tree (target <= 2 s).
* **memory**: peak memory of the indexing process *and its extraction workers*, sampled every
  100 ms as summed PSS, with summed RSS beside it (target <= 600 MB); then the index is deleted
  and built again in the same process, and the second pass must not end higher than the first
  (no leak).
* **change to searchable**: with the folder watcher running, 50 edits each add a unique word
  to a file; the time until a search finds it (median target <= 1.5 s).
* **start-up**: ``gui --smoke-test`` five times on the indexed data dir: window shown, engine
  ready, and the RSS of the app at idle with the window open.

The indexing work runs in a fresh process (``--driver``) so its memory is the app's own.

Usage: python -m tests.benchmarks.bench_indexing [--files 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from tests.benchmarks import corpus10k
from tests.benchmarks.common import write_result

WORK = Path(__file__).resolve().parent / ".work"
TARGETS = {
    "pipeline_overhead": 0.10,
    "rescan_s": 2.0,
    "peak_pss_mb": 600,
    "change_to_searchable_median_s": 1.5,
}
EDITS = 50
STARTS = 5
#: The raw embedder runs on RAW_SAMPLE chunks in RAW_SLICES timed slices, half of them after
#: each pass, so its rate brackets both pipeline passes in time (one sample taken once, right
#: after pass 1, once measured slower than the whole pipeline on this shared machine).
RAW_SAMPLE = 1500
RAW_SLICES = 6


class MemorySampler:
    """Peak memory of this process plus all its descendants, sampled in a thread.

    Two sums: RSS, and PSS (proportional set size: each shared page divided among the
    processes sharing it). Summed RSS counts a shared page once per process: the modules the
    extraction workers inherit from the forkserver, the libraries, the memory-mapped model. PSS
    sums to what the app takes from the machine, so the target is judged on it.
    """

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self.peak_rss = 0
        self.peak_pss = 0
        self._me = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def tree(self) -> tuple[int, int]:
        """(RSS, PSS) summed over this process and its descendants, in bytes."""
        rss = pss = 0
        for process in [self._me, *self._me.children(recursive=True)]:
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue  # a worker that just exited
            rss += info.rss
            pss += info.pss
        return rss, pss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            rss, pss = self.tree()
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)

    def reset(self) -> None:
        self.peak_rss, self.peak_pss = self.tree()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _walk_with_stat(root: str) -> int:
    """The floor for a rescan: visit every entry and stat every file, nothing else."""
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat(follow_symlinks=False)
                    count += 1
    return count


def _timed(fn: Any, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def _index_pass(engine: Any, roots: list[str], sampler: MemorySampler) -> dict[str, Any]:
    sampler.reset()
    started = time.perf_counter()
    summary = engine.index(roots)
    seconds = time.perf_counter() - started
    rss_after, pss_after = sampler.tree()
    return {
        "seconds": round(seconds, 1),
        "files": summary.indexed,
        "failed": summary.failed,
        "chunks": summary.chunks,
        "files_per_s": round(summary.indexed / seconds, 1),
        "chunks_per_s": round(summary.chunks / seconds, 1),
        "peak_pss_mb": round(sampler.peak_pss / 2**20),
        "peak_rss_sum_mb": round(sampler.peak_rss / 2**20),
        "pss_after_mb": round(pss_after / 2**20),
        "rss_after_mb": round(rss_after / 2**20),
    }


def _raw_slices(engine: Any, texts: list[str], part: int) -> list[tuple[int, float]]:
    """Half ``part`` (0 or 1) of the raw-embedder sample: (chunks, seconds) per slice.

    The embedder alone on the pipeline's chunks, in the pipeline's batches. A fixed random
    sample of RAW_SAMPLE chunks (in index order) keeps the run within its time budget; it has
    the corpus' length distribution, and chunks/s is what is compared.
    """
    from desktop_app.engine.pipeline import PipelineConfig

    keep = sorted(random.Random(0).sample(range(len(texts)), min(RAW_SAMPLE, len(texts))))
    half = keep[part::2]
    per_slice = max(1, -(-len(half) // (RAW_SLICES // 2)))
    batch = PipelineConfig().embed_batch
    embedder = engine.index_embedder
    slices = []
    for start in range(0, len(half), per_slice):
        sample = [texts[i] for i in half[start : start + per_slice]]
        started = time.perf_counter()
        for i in range(0, len(sample), batch):
            embedder.embed_documents(sample[i : i + batch])
        slices.append((len(sample), time.perf_counter() - started))
    return slices


def _raw_summary(slices: list[tuple[int, float]]) -> dict[str, Any]:
    rates = [chunks / seconds for chunks, seconds in slices]
    return {
        "chunks": sum(chunks for chunks, _ in slices),
        "seconds": round(sum(seconds for _, seconds in slices), 1),
        "chunks_per_s": round(statistics.median(rates), 1),
        "slices_chunks_per_s": [round(r, 1) for r in rates],
    }


def _change_to_searchable(engine: Any, corpus: Path) -> dict[str, Any]:
    """Edit files under the watcher; time until a keyword search returns the edited file."""
    from desktop_app.engine.watcher import FolderWatcher

    def on_changes(changed: set[str]) -> None:
        engine.run_plan(engine.plan_paths(changed))

    watcher = FolderWatcher(
        engine.folders, on_changes, debounce_s=engine.settings["watch_debounce_s"]
    )
    watcher.start()
    time.sleep(1.0)  # let the observer settle on 100 folders
    targets = sorted(corpus.glob("folder-0[0-4]*/*.txt"))[:EDITS]
    latencies: list[float] = []
    missed = 0
    run = os.urandom(3).hex()  # the corpus is reused: last run's words must not match
    originals = {path: path.read_bytes() for path in targets}
    try:
        for n, path in enumerate(targets):
            word = f"zebrafinch{run}x{n:03d}quokka"
            with path.open("a", encoding="utf-8") as f:
                f.write(f"\nA late note mentions {word}.\n")
            saved = time.perf_counter()
            deadline = saved + 30
            while time.perf_counter() < deadline:
                hits = engine.search(word, limit=1, mode="keyword").results
                if hits and hits[0].path == str(path):
                    latencies.append(time.perf_counter() - saved)
                    break
                time.sleep(0.02)
            else:
                missed += 1
                _note(f"edit {n} not found in 30 s: {path}")
    finally:
        watcher.stop()
        for path, content in originals.items():
            path.write_bytes(content)  # leave the cached corpus as it was generated
    return {
        "edits": len(targets),
        "missed": missed,
        "median_s": round(statistics.median(latencies), 2),
        "p95_s": round(float(sorted(latencies)[int(0.95 * (len(latencies) - 1))]), 2),
        "max_s": round(max(latencies), 2),
        "debounce_s": engine.settings["watch_debounce_s"],
    }


def _note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def driver(corpus: Path, home: Path) -> dict[str, Any]:
    """Everything that needs the app's own process; prints one JSON object."""
    from desktop_app import paths
    from desktop_app.engine.service import Engine
    from desktop_app.engine.store import Store

    paths.set_home(home)
    sampler = MemorySampler()
    engine = Engine()
    # No idle release between the phases (bench_idle measures it): the raw embedder below
    # holds the indexing context for longer than idle_unload_s on a busy machine.
    engine.settings.set("idle_unload_s", 0.0)
    roots = engine.add_folders([corpus])
    engine.index_embedder  # noqa: B018 - load the model before the clock starts, as the app does
    _note("first pass")
    first = _index_pass(engine, roots, sampler)
    _note(f"first pass done: {first}")
    texts = engine.store.chunks.to_arrow().column("text").to_pylist()
    raw = _raw_slices(engine, texts, 0)

    plan_times = _timed(lambda: engine.plan(roots), repeat=5)
    leftover = engine.plan(roots)
    walk_times = _timed(lambda: _walk_with_stat(str(corpus)), repeat=5)

    # Second pass: same process, index deleted and rebuilt from nothing.
    uri = engine.store_uri
    engine.close()
    Store.destroy(uri)
    engine = Engine()
    engine.settings.set("idle_unload_s", 0.0)
    engine.index_embedder  # noqa: B018
    reopened_rss, reopened_pss = sampler.tree()
    _note("second pass")
    second = _index_pass(engine, roots, sampler)
    raw += _raw_slices(engine, texts, 1)
    _note("watcher edits")
    watch = _change_to_searchable(engine, corpus)
    engine.close()
    sampler.stop()
    return {
        "first_pass": first,
        "second_pass": second,
        "raw_embedding": _raw_summary(raw),
        "reopened": {
            "rss_mb": round(reopened_rss / 2**20),
            "pss_mb": round(reopened_pss / 2**20),
        },
        "mean_chunk_chars": round(statistics.mean(len(t) for t in texts)),
        "rescan": {
            "plan_s": round(statistics.median(plan_times), 3),
            "plan_found_work": len(leftover.new) + len(leftover.changed) + len(leftover.deleted),
            "scandir_stat_s": round(statistics.median(walk_times), 3),
        },
        "change_to_searchable": watch,
    }


def _startup(home: Path) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    runs = []
    for _ in range(STARTS):
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "--data-dir", str(home), "gui", "--smoke-test"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=300,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        key: round(statistics.median(r[key] for r in runs))
        for key in ("window_shown_ms", "engine_ready_ms", "rss_mb")
    } | {"runs": STARTS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--driver", nargs=2, type=Path, metavar=("CORPUS", "HOME"))
    args = parser.parse_args()
    if args.driver:
        print(json.dumps(driver(*args.driver)))
        return

    started = time.perf_counter()
    corpus = WORK / f"corpus-{args.files}"
    print(f"corpus: {corpus} ...", flush=True)
    info = corpus10k.build(corpus, files=args.files)
    home = WORK / "index-home"
    shutil.rmtree(home, ignore_errors=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.bench_indexing",
            "--driver",
            str(corpus),
            str(home),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"driver failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    startup = _startup(home)

    first, second, raw = result["first_pass"], result["second_pass"], result["raw_embedding"]
    # Both passes do the same work; their mean against the raw slices' median.
    pipeline_rate = statistics.mean([first["chunks_per_s"], second["chunks_per_s"]])
    overhead = 1 - pipeline_rate / raw["chunks_per_s"]
    rescan = result["rescan"]
    payload = {
        "targets": TARGETS,
        "corpus": info,
        **result,
        "pipeline_overhead": round(overhead, 3),
        "rescan_ratio": round(rescan["plan_s"] / rescan["scandir_stat_s"], 1),
        "leak_pss_mb": second["pss_after_mb"] - first["pss_after_mb"],
        "startup": startup,
        "seconds": round(time.perf_counter() - started),
    }
    write_result("indexing", payload)
    watch = result["change_to_searchable"]
    rows = [
        ("indexing files/s", f"{first['files_per_s']}", "-"),
        (
            "indexing chunks/s, pass 1 / 2 (raw)",
            f"{first['chunks_per_s']} / {second['chunks_per_s']} ({raw['chunks_per_s']}, "
            f"slices {min(raw['slices_chunks_per_s'])}-{max(raw['slices_chunks_per_s'])})",
            "",
        ),
        ("pipeline overhead", f"{overhead:.1%}", f"<= {TARGETS['pipeline_overhead']:.0%}"),
        (
            "rescan 10K unchanged",
            f"{rescan['plan_s']} s (scandir {rescan['scandir_stat_s']} s)",
            f"<= {TARGETS['rescan_s']} s",
        ),
        (
            "peak memory indexing, PSS (RSS sum)",
            f"{first['peak_pss_mb']} MB ({first['peak_rss_sum_mb']} MB); "
            f"pass 2 {second['peak_pss_mb']} MB",
            f"<= {TARGETS['peak_pss_mb']} MB",
        ),
        (
            "PSS after pass 1 / reopen / pass 2",
            f"{first['pss_after_mb']} / {result['reopened']['pss_mb']} / "
            f"{second['pss_after_mb']} MB",
            "no growth",
        ),
        (
            "change to searchable",
            f"median {watch['median_s']} s, p95 {watch['p95_s']} s",
            f"median <= {TARGETS['change_to_searchable_median_s']} s",
        ),
        (
            "start-up",
            f"window {startup['window_shown_ms']} ms, engine {startup['engine_ready_ms']} ms",
            "",
        ),
        ("idle RSS, window open", f"{startup['rss_mb']} MB", ""),
    ]
    for name, measured, target in rows:
        print(f"{name:34} {measured:44} {target}")
    print(f"total {payload['seconds']} s")


if __name__ == "__main__":
    main()
