"""Memory at rest, and what the idle release costs the next search and the next change.

The real window (offscreen), bridge and engine on the 10,000-file index of the indexing
benchmark's corpus, with the folder watcher running, as the app sits in the tray:

* **started**: the app and its helper processes once the engine is ready and the catch-up scan
  found nothing to do (what ``gui --smoke-test`` measured as "RSS at idle");
* then ``--cycles`` times: a file is edited and indexed by the watcher (right after a release:
  the indexing context and fork server load again), a second file while loaded; memory
  **loaded** (what the app kept at rest before ``idle_unload_s`` existed); memory **released**
  after the idle release; the **first search** after the release through the window (it
  loads the query context again), then warm searches (median of five).
* **reload**: the fork server's start and each context's load, timed alone;
* **alternative measured, not adopted**: the store's LanceDB handles dropped too, with what
  it saves and what the next search costs then.

Memory is RSS and PSS summed over the app and its child processes (fork server, resource
tracker), and the app's own PSS by mapping (``/proc/self/smaps``). ``--idle-s`` shortens the
quiet period so the run takes minutes (the app's default is the ``idle_unload_s`` setting's).

Usage: python -m tests.benchmarks.bench_idle [--files 10000] [--idle-s 10] [--cycles 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from tests.benchmarks import corpus10k
from tests.benchmarks.common import write_result

WORK = Path(__file__).resolve().parent / ".work"
HOME = WORK / "idle-home"
TARGETS = {"released_pss_mb": 250, "first_search_extra_ms": 300}
WARM_SEARCHES = 5
QUERIES = [
    "how do I catch an exception and raise another one",
    "sorting a list of tuples by the second element",
    "what does the with statement do with a context manager",
    "formatting numbers with thousands separators",
    "defining a class that inherits from another class",
    "iterating over a dictionary's keys and values",
    "difference between a generator and a list comprehension",
    "importing a module from a package",
    "comparing objects for equality and identity",
    "reading lines from a file one at a time",
    "default values of function arguments",
    "coroutines that await other coroutines",
    "unicode strings and byte strings",
    "global and nonlocal variables in nested functions",
    "slicing sequences with a step",
    "the order in which operators are evaluated",
    "decorators that wrap a function",
    "what happens when an iterator is exhausted",
    "keyword-only arguments after a star",
    "how the garbage collector handles reference cycles",
    "assigning to a slice of a list",
    "the difference between str and repr",
    "catching several exceptions in one clause",
    "properties with getters and setters",
    "lambda expressions and closures",
    "packing and unpacking argument lists",
    "integer division and the modulo operator",
    "the else clause of a for loop",
    "class methods and static methods",
    "how attribute lookup works on instances",
    "sets and frozen sets",
    "yield from a subgenerator",
    "the assert statement and optimisation",
    "formatted string literals with expressions",
    "augmented assignment operators",
    "what the pass statement is for",
    "conditional expressions on one line",
    "raising an exception from another exception",
]
MB = 2**20
_MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ ")


def _note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- memory readings ---------------------------------------------------------------------------


def _role(process: psutil.Process) -> str:
    command = " ".join(process.cmdline())
    if "forkserver import main" in command:
        return "fork server"
    if "resource_tracker import main" in command:
        return "resource tracker"
    return "extraction worker"


def _anonymous(pid: int) -> float:
    """MB of anonymous memory (heaps, stacks: no file behind it, so never just dropped)."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_memory() -> dict[str, Any]:
    """RSS, PSS and anonymous memory (MB) of this process and each child, and their sums."""
    me = psutil.Process()
    rows = []
    for process in [me, *me.children(recursive=True)]:
        try:
            info = process.memory_full_info()
            role = "app" if process.pid == me.pid else _role(process)
            anon = _anonymous(process.pid)
        except (psutil.Error, OSError):
            continue  # a worker that just exited
        rows.append((role, info.rss / MB, info.pss / MB, anon))
    return {
        "rss_mb": round(sum(r[1] for r in rows)),
        "pss_mb": round(sum(r[2] for r in rows)),
        "anon_mb": round(sum(r[3] for r in rows)),
        "processes": [
            {"role": role, "rss_mb": round(rss), "pss_mb": round(pss), "anon_mb": round(anon)}
            for role, rss, pss, anon in rows
        ],
    }


def _category(path: str) -> str:
    name = os.path.basename(path)
    if not path or path.startswith("["):
        return "heap, stacks, anonymous"
    if name.endswith(".gguf"):
        return "model file (mapped)"
    if "_lancedb" in name:
        return "LanceDB code"
    if "Qt6" in name or "pyside6" in name.lower() or "shiboken" in name.lower():
        return "Qt, PySide"
    if "arrow" in name or "parquet" in name:
        return "Arrow"
    if "llama" in name or "ggml" in name:
        return "llama.cpp"
    return "other files (Python, libraries)"


def smaps_pss(pid: int | None = None) -> dict[str, float]:
    """This process's PSS by kind of mapping, in MB."""
    totals: dict[str, float] = {}
    category = "heap, stacks, anonymous"
    with open(f"/proc/{pid or os.getpid()}/smaps", encoding="utf-8", errors="replace") as f:
        for line in f:
            if _MAPPING.match(line):
                parts = line.split(maxsplit=5)
                category = _category(parts[5].strip() if len(parts) > 5 else "")
            elif line.startswith("Pss:"):
                totals[category] = totals.get(category, 0.0) + int(line.split()[1]) / 1024
    return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def reading() -> dict[str, Any]:
    return {**tree_memory(), "app_by_mapping_mb": smaps_pss()}


# -- the window, driven ------------------------------------------------------------------------


class _Released(logging.Handler):
    """Counts the engine's idle releases that unloaded the indexing context (its log line is
    the release's last step)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("idle: released") and "indexing context" in message:
            self.last = message
            self.count += 1


def _beyond(released: _Released, count: int) -> Callable[[], bool]:
    return lambda: released.count > count


class Window:
    """The app's window and bridge in this process, with waits that keep Qt's loop running."""

    def __init__(self) -> None:
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui.bridge import EngineBridge
        from desktop_app.ui.main_window import MainWindow

        self.app = QApplication.instance() or QApplication([])
        self.bridge = EngineBridge()
        self.window = MainWindow(self.bridge)
        self.window.resize(1180, 640)
        self.window.show()
        self.finished_runs: list[tuple[float, Any]] = []
        self.arrived: dict[int, tuple[float, float]] = {}
        self.ready = False
        self.bridge.engine_ready.connect(lambda _: setattr(self, "ready", True))
        self.bridge.index_finished.connect(
            lambda s: self.finished_runs.append((time.perf_counter(), s))
        )
        # Connected after the window's own slot, so it runs once the window has the results.
        self.bridge.results.connect(self._on_results)

    def _on_results(self, request_id: int, response: Any) -> None:
        self.arrived[request_id] = (time.perf_counter(), response.took_ms)

    def wait(self, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout_s:g} s for {what}")
            loop = QEventLoop()
            QTimer.singleShot(10, loop.quit)
            loop.exec()

    def pause(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.wait(lambda: time.monotonic() >= end, seconds + 5, "a pause")

    def search(self, text: str) -> tuple[float, float]:
        """(ms until the window had the results, the engine's own ms) for one query."""
        self.window.search_box.setText(text)
        started = time.perf_counter()
        self.window.run_search()
        request = self.window._latest_request
        self.wait(lambda: request in self.arrived, 60, f"results of {text!r}")
        arrived, took_ms = self.arrived[request]
        return (arrived - started) * 1000, took_ms

    def change(self, path: Path, word: str) -> float:
        """Seconds from an edit until the watcher's run over it has finished."""
        runs = len(self.finished_runs)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"\nA late note mentions {word}.\n")
        saved = time.perf_counter()
        self.wait(lambda: len(self.finished_runs) > runs, 120, f"the run over {path.name}")
        return self.finished_runs[-1][0] - saved


def _unload_probe(win: Window, queries: list[str]) -> dict[str, Any]:
    """What dropping the store's LanceDB handles too would give, and cost the next search
    (which opens them again). Measured, not adopted."""
    from desktop_app.engine.idle import release_free_memory

    engine = win.bridge.engine
    assert engine is not None
    out: dict[str, Any] = {}
    for name, attribute in (("store", "_store"),):
        saved, first = [], []
        for query in queries:
            release_free_memory([])  # as after the idle release: only the part's own memory
            before = tree_memory()["pss_mb"]
            with engine._lock:
                part = getattr(engine, attribute)
                setattr(engine, attribute, None)
            del part
            release_free_memory([])
            saved.append(before - tree_memory()["pss_mb"])
            first.append(win.search(query)[0])
        out[name] = {
            "pss_saved_mb": round(statistics.median(saved)),
            "first_search_ms": round(statistics.median(first), 1),
            "first_search_ms_all": [round(v, 1) for v in first],
        }
    return out


def _reload_probe(win: Window, note: Path, repeat: int = 3) -> dict[str, Any]:
    """What comes back after a release, each part timed alone: the fork server's start (with
    its preloads, as a pool's first worker starts it) and each context's load."""
    from desktop_app.engine.embedder import Embedder, query_threads
    from desktop_app.engine.extract_pool import ExtractPool, stop_fork_server
    from desktop_app.engine.scanner import stat_file

    engine = win.bridge.engine
    assert engine is not None
    info = stat_file(str(note))
    assert info is not None
    threads = engine.settings["threads"]
    times: dict[str, list[float]] = {"fork_server_start": [], "index_context": []}
    times["query_context"] = []
    for _ in range(repeat):
        stop_fork_server()
        started = time.perf_counter()
        with ExtractPool(engine.settings["extract_workers"]) as pool:
            list(pool.run([info]))
        times["fork_server_start"].append(time.perf_counter() - started)
        for name, count in (("index_context", threads), ("query_context", query_threads(threads))):
            started = time.perf_counter()
            Embedder(engine.model, threads=count).close()
            times[name].append(time.perf_counter() - started)
    return {
        key: {"median_s": round(statistics.median(v), 2), "all_s": [round(x, 2) for x in v]}
        for key, v in times.items()
    }


def driver(corpus: Path, home: Path, idle_s: float, cycles: int) -> dict[str, Any]:
    """Everything in the app's own process; returns the results."""
    from desktop_app import paths
    from desktop_app.settings import Settings

    paths.set_home(home)
    settings = Settings.load()
    settings.set("idle_unload_s", idle_s)
    settings.save()
    released = _Released()
    logging.getLogger("desktop_app.engine.idle").addHandler(released)
    logging.getLogger("desktop_app.engine.idle").setLevel(logging.INFO)

    from PySide6.QtCore import QTimer

    win = Window()
    QTimer.singleShot(0, win.bridge.start)
    targets = sorted(corpus.glob("folder-03*/*.txt"))[: 2 * cycles]  # not the indexing bench's
    originals = {path: path.read_bytes() for path in targets}
    run = os.urandom(3).hex()
    queries = iter(QUERIES)
    result: dict[str, Any] = {"cycles": []}
    try:
        win.wait(lambda: win.ready and bool(win.finished_runs), 600, "the engine and catch-up")
        win.pause(2.0)
        result["started"] = reading()
        _note(f"started: {result['started']['pss_mb']} MB PSS")
        win.wait(_beyond(released, 0), idle_s + 120, "the first idle release")
        for n in range(cycles):
            cold = win.change(targets[2 * n], f"quokka{run}c{n}")
            win.pause(1.0)
            warm = win.change(targets[2 * n + 1], f"quokka{run}w{n}")
            win.pause(1.0)
            loaded = reading()
            win.wait(_beyond(released, released.count), idle_s + 120, "the idle release")
            win.pause(0.5)
            after = reading()
            first = win.search(next(queries))
            warm_searches = [win.search(next(queries)) for _ in range(WARM_SEARCHES)]
            cycle = {
                "change_after_release_s": round(cold, 2),
                "change_while_loaded_s": round(warm, 2),
                "loaded": loaded,
                "released": after,
                "release": released.last,
                "first_search_ms": round(first[0], 1),
                "first_search_engine_ms": round(first[1], 1),
                "warm_search_ms": round(statistics.median(w[0] for w in warm_searches), 1),
                "warm_search_engine_ms": round(statistics.median(w[1] for w in warm_searches), 1),
            }
            result["cycles"].append(cycle)
            _note(
                f"cycle {n}: loaded {loaded['pss_mb']} -> released {after['pss_mb']} MB PSS; "
                f"first search {cycle['first_search_ms']} ms, warm {cycle['warm_search_ms']} ms"
            )
        probe_queries = list(queries)[:3]
        result["alternatives"] = _unload_probe(win, probe_queries)
        result["reload"] = _reload_probe(win, targets[0])
    finally:
        win.bridge.shutdown()
        for path, content in originals.items():
            path.write_bytes(content)
    return result


# -- the run -----------------------------------------------------------------------------------


def prepare(corpus: Path, home: Path) -> dict[str, Any]:
    """Bring the benchmark's index in line with the corpus (a full build the first time)."""
    from desktop_app import paths
    from desktop_app.engine.service import Engine

    paths.set_home(home)
    engine = Engine()
    try:
        engine.add_folders([corpus])
        started = time.perf_counter()
        summary = engine.index()
        engine.ensure_vector_index(background=False)
        status = engine.status()
        return {
            "seconds": round(time.perf_counter() - started, 1),
            "indexed_now": summary.indexed,
            "files": status.files.indexed,
            "chunks": status.chunks,
        }
    finally:
        engine.close()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    cycles = result["cycles"]
    first = [c["first_search_ms"] for c in cycles]
    warm = [c["warm_search_ms"] for c in cycles]
    return {
        "loaded_pss_mb": round(statistics.median(c["loaded"]["pss_mb"] for c in cycles)),
        "loaded_rss_mb": round(statistics.median(c["loaded"]["rss_mb"] for c in cycles)),
        "released_pss_mb": round(statistics.median(c["released"]["pss_mb"] for c in cycles)),
        "released_rss_mb": round(statistics.median(c["released"]["rss_mb"] for c in cycles)),
        "loaded_anon_mb": round(statistics.median(c["loaded"]["anon_mb"] for c in cycles)),
        "released_anon_mb": round(statistics.median(c["released"]["anon_mb"] for c in cycles)),
        "first_search_ms": _median(first),
        "warm_search_ms": _median(warm),
        "first_search_extra_ms": round(
            statistics.median(f - w for f, w in zip(first, warm, strict=True)), 1
        ),
        "change_after_release_s": _median([c["change_after_release_s"] for c in cycles]),
        "change_while_loaded_s": _median([c["change_while_loaded_s"] for c in cycles]),
        "run_reload_s": round(
            result["reload"]["fork_server_start"]["median_s"]
            + result["reload"]["index_context"]["median_s"],
            2,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--prepare", nargs=2, type=Path, metavar=("CORPUS", "HOME"))
    parser.add_argument("--driver", nargs=2, type=Path, metavar=("CORPUS", "HOME"))
    args = parser.parse_args()
    if args.prepare:
        print(json.dumps(prepare(*args.prepare)))
        return
    if args.driver:
        corpus, home = args.driver
        print(json.dumps(driver(corpus, home, args.idle_s, args.cycles)))
        return

    started = time.perf_counter()
    corpus = WORK / f"corpus-{args.files}"
    info = corpus10k.build(corpus, files=args.files)
    built = WORK / "index-home"  # the indexing benchmark's, if it ran first: copied, not used
    if not HOME.exists() and (built / "data").is_dir():
        shutil.copytree(built, HOME)
    _note("bringing the index up to date")
    prepared = _run(["--prepare", str(corpus), str(HOME)])
    _note(f"index: {prepared}")
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    extra = ["--idle-s", str(args.idle_s), "--cycles", str(args.cycles)]
    result = _run(["--driver", str(corpus), str(HOME), *extra], env)
    payload = {
        "targets": TARGETS,
        "corpus": info,
        "index": prepared,
        "idle_unload_s": args.idle_s,
        "warm_searches": WARM_SEARCHES,
        **result,
        "summary": summarise(result),
        "seconds": round(time.perf_counter() - started),
    }
    write_result("idle", payload)
    print(json.dumps(payload["summary"], indent=2))


def _run(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.benchmarks.bench_idle", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    sys.stderr.write(done.stderr[-2000:])
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


if __name__ == "__main__":
    main()
