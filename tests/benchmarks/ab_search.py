"""Search latency of this checkout against another revision, interleaved query by query.

Usage: ``python -m tests.benchmarks.ab_search --against REV [--sizes 100000,1000000]``.

This machine is shared and noisy: two runs of ``bench_search`` an hour apart differ by more
than most changes do. So both versions run at once, each in its own process over its own copy
of the same synthetic index (bench_search.build, ANN index built), and the queries alternate
between them (A B, B A, ...): both see the same noise, and the median of the per-query ratio
says what the change costs. ``REV`` is checked out in a temporary git worktree, with this
checkout's model file linked in. Results go to docs/benchmarks/search_ab.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tests.benchmarks.common import write_result

ROOT = Path(__file__).resolve().parents[2]
#: Run as a script from this checkout, importing the app from the tree under test (the other
#: revision may predate this file).
WORKER = Path(__file__).resolve().parent / "ab_worker.py"


def _start(tree: Path, size: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(size)],
        cwd=tree,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{tree}: the worker did not start")
    return process


def _ask(process: subprocess.Popen[str], i: int) -> float:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"{i}\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def compare(other: Path, size: int, repeats: int) -> dict[str, Any]:
    # One after the other: building two indexes at once would only slow both.
    processes = {"before": _start(other, size), "after": _start(ROOT, size)}
    times: dict[str, list[float]] = {"before": [], "after": []}
    try:
        for i in range(repeats):
            order = ("before", "after") if i % 2 else ("after", "before")
            for name in order:
                times[name].append(_ask(processes[name], i))
    finally:
        for process in processes.values():
            if process.stdin is not None:
                process.stdin.close()
            process.wait()
    ratios = [a / b for a, b in zip(times["after"], times["before"], strict=True)]
    out: dict[str, Any] = {"chunks": size, "queries": repeats}
    for name, samples in times.items():
        out[name] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(float(np.percentile(samples, 95)), 1),
        }
    out["median_ratio"] = round(statistics.median(ratios), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", required=True, help="git revision to compare with")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    revision = subprocess.run(
        ["git", "rev-parse", "--short", args.against],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = Path(tempfile.mkdtemp(prefix="ab-search-")) / "tree"
    subprocess.run(
        ["git", "worktree", "add", "-q", "--detach", str(tree), revision], cwd=ROOT, check=True
    )
    try:
        for model in (ROOT / "resources" / "models").glob("*.gguf"):
            (tree / "resources" / "models" / model.name).symlink_to(model)
        results = []
        for size in (int(s) for s in args.sizes.split(",")):
            result = compare(tree, size, args.repeats if size < 1_000_000 else args.repeats // 2)
            print(result, flush=True)
            results.append(result)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(tree.parent, ignore_errors=True)
    write_result("search_ab", {"against": revision, "results": results})


if __name__ == "__main__":
    main()
