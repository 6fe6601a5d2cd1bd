"""Indexing throughput of a text-only folder: this checkout against another revision.

Usage: ``python -m tests.benchmarks.ab_indexing [--against 232e08e] [--rounds 3] [--files 300]``.

The question (issue 17): does the OCR work slow down indexing a folder with no images at all?
Both revisions are checked out in temporary git worktrees (this checkout's HEAD, not its work
tree, so others' uncommitted edits do not count), with this checkout's model file linked into
each worktree's ``resources/models/``. Each round indexes the same folder of .txt/.md files of
real prose (CACM titles and abstracts, ``../shared/datasets/cacm``) through the CLI,
``python -m desktop_app --data-dir HOME index --json FOLDER``, with a fresh temporary home and
cwd = the worktree so ``desktop_app`` imports from it; the same interpreter for both. Rounds
are interleaved A B B A A B ... so both see the same drift in this shared machine's load.
Files/s is the file count over the CLI's wall time (process start, model load, indexing,
vector-index check, exit): what a user waits for. Results go to docs/benchmarks/indexing_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks import testsets
from tests.benchmarks.common import write_result

ROOT = Path(__file__).resolve().parents[2]
CACM = ROOT.parent / "shared" / "datasets" / "cacm"
WORK = Path(__file__).resolve().parent / ".work"
RECORDS_PER_FILE = 8


def build_folder(folder: Path, files: int) -> dict[str, Any]:
    """``files`` .txt/.md files, each a run of CACM records (title, blank line, abstract)."""
    docs = testsets.load_smart(CACM).docs
    records = [(t, w) for _, (t, w) in sorted(docs.items(), key=lambda kv: int(kv[0])) if w]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    total = 0
    for i in range(files):
        chunk = [
            records[(i * RECORDS_PER_FILE + k) % len(records)] for k in range(RECORDS_PER_FILE)
        ]
        if i % 2:
            text = "\n\n".join(f"# {t}\n\n{w}" for t, w in chunk) + "\n"
            path = folder / f"doc_{i:04d}.md"
        else:
            text = "\n\n".join(f"{t}\n\n{w}" for t, w in chunk) + "\n"
            path = folder / f"doc_{i:04d}.txt"
        path.write_text(text, encoding="utf-8")
        total += len(text)
    return {"files": files, "chars": total, "records_per_file": RECORDS_PER_FILE}


def _worktree(rev: str, where: Path) -> Path:
    if where.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT, check=False)
        shutil.rmtree(where, ignore_errors=True)
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), rev],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    models = where / "resources" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for gguf in (ROOT / "resources" / "models").glob("*.gguf"):
        link = models / gguf.name
        if not link.exists():
            link.symlink_to(gguf)
    return where


def _round(tree: Path, folder: Path, files: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ab-index-home-"))
    env = {k: v for k, v in os.environ.items() if k != "DESKTOP_SEARCH_HOME"}
    env["PYTHONPATH"] = str(tree)
    env["QT_QPA_PLATFORM"] = "offscreen"
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "desktop_app",
                "--data-dir",
                str(home),
                "index",
                "--json",
                str(folder),
            ],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        wall = time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: index failed ({done.returncode}): {done.stderr[-2000:]}")
    summary: dict[str, Any] = {}
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            summary = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    return {
        "wall_s": round(wall, 2),
        "files_per_s": round(files / wall, 2),
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", default="232e08e")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=300)
    args = parser.parse_args()

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    base = subprocess.run(
        ["git", "rev-parse", "--short", args.against], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    scratch = Path(tempfile.mkdtemp(prefix="ab-indexing-"))
    folder = WORK / f"ab-text-{args.files}"
    info = build_folder(folder, args.files)
    trees = {
        "head": _worktree(head, scratch / "head"),
        "base": _worktree(base, scratch / "base"),
    }
    rounds: dict[str, list[dict[str, Any]]] = {"head": [], "base": []}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        for r in range(args.rounds):
            # A B B A, A B B A, ...: each pair of rounds has both orders.
            order = ("head", "base") if r % 2 == 0 else ("base", "head")
            for which in order:
                result = _round(trees[which], folder, args.files)
                rounds[which].append(result)
                print(
                    f"round {r + 1} {which}: {result['wall_s']} s, {result['files_per_s']} files/s",
                    flush=True,
                )
    finally:
        for tree in trees.values():
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
        shutil.rmtree(scratch, ignore_errors=True)
    ratios = [
        h["files_per_s"] / b["files_per_s"]
        for h, b in zip(rounds["head"], rounds["base"], strict=True)
    ]
    payload = {
        "head": head,
        "base": base,
        "folder": info,
        "command": "python -m desktop_app --data-dir HOME index --json FOLDER",
        "rounds": rounds,
        "median_files_per_s": {
            k: round(statistics.median(r["files_per_s"] for r in v), 2) for k, v in rounds.items()
        },
        "ratio_per_round": [round(x, 3) for x in ratios],
        "median_ratio_head_over_base": round(statistics.median(ratios), 3),
        "seconds": round(time.perf_counter() - started),
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    path = write_result("indexing_ab", payload)
    print(json.dumps({k: payload[k] for k in ("median_files_per_s", "ratio_per_round")}))
    print(f"median ratio {head}/{base}: {payload['median_ratio_head_over_base']} -> {path}")


if __name__ == "__main__":
    main()
