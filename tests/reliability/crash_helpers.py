"""Shared pieces of the crash and disk-full tests: a corpus, a self-killing indexing driver, and
checks of an index from outside the process that wrote it.

The driver (``python -m tests.reliability.crash_helpers --phase P ... -- CLI ARGS``) runs the
real CLI (:func:`desktop_app.cli.main`) with hooks that

* log what the process is doing to an events file (one line per event, appended unbuffered, so
  the lines written before a SIGKILL survive it): extraction results, embedding calls with the
  hash of every text embedded, the start and end of every LanceDB commit and compaction;
* send SIGKILL to the process itself at the chosen moment: on the ``nth`` extraction result or
  embedding call plus ``delay`` seconds, or on the ``nth`` chunks commit or compaction plus
  ``delay`` times that operation's previous duration (a timer thread fires while the main
  thread is inside the native call), or right after the ``nth`` chunks commit, before its
  manifest commit (``between``).

A kill from inside is the same SIGKILL an external ``kill -9`` sends; the hooks only make it
land where a timer from outside would hit a few-millisecond commit once in hundreds of tries.
Phase ``none`` kills nothing: the test then sends SIGKILL from outside after a seeded delay.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.engine.store import STATUS_INDEXED, FileRecord
from desktop_app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PHASES = ("extract", "embed", "commit", "between", "compaction", "none")
WORDS = (
    "amber basalt cedar delta ember fjord garnet harbor indigo juniper kelp lagoon meadow "
    "nickel obsidian prairie quartz raven saffron tundra umber violet willow xenon yarrow zephyr"
).split()


# -- corpus ------------------------------------------------------------------------------------


def write_doc(root: Path, index: int, version: int = 0) -> Path:
    """One short document (one chunk: ~25 words), distinct per (index, version).

    Short on purpose: the shared 2-core machine embeds ~20 of these a second, so a run lasts
    seconds and the kills can be many.
    """
    rng = random.Random(index * 1000 + version)
    body = " ".join(rng.choice(WORDS) for _ in range(22))
    path = root / f"doc{index:04d}.txt"
    path.write_text(f"code{index:04d} v{version} {body}.\n", encoding="utf-8")
    return path


def make_corpus(root: Path, count: int, start: int = 0) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    return [write_doc(root, i) for i in range(start, start + count)]


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_home(home: Path) -> None:
    """Settings for a test data dir: one embedding thread.

    With the 2 cores shared by other work, llama.cpp's two threads spin against each other
    (measured 1.3 chunks/s against 22 with one thread here).
    """
    paths.set_home(home)
    settings = Settings.load()
    settings.set("threads", 1)
    settings.save()


# -- running the CLI ---------------------------------------------------------------------------


def cli_argv(home: Path, *args: str) -> list[str]:
    """The real CLI, as a user runs it."""
    return [sys.executable, "-m", "desktop_app", "--data-dir", str(home), *args]


def driver_argv(
    home: Path,
    root: Path,
    events: Path,
    phase: str,
    nth: int = 1,
    delay: float = 0.0,
    optimize_every: int = 2,
    commit_files: int = 8,
) -> list[str]:
    """The CLI's ``index`` run through the self-killing driver below."""
    return [
        sys.executable,
        "-m",
        "tests.reliability.crash_helpers",
        "--phase",
        phase,
        "--nth",
        str(nth),
        "--delay",
        f"{delay:.4f}",
        "--events",
        str(events),
        "--optimize-every",
        str(optimize_every),
        "--commit-files",
        str(commit_files),
        "--",
        "--data-dir",
        str(home),
        "index",
        str(root),
        "--json",
    ]


@dataclass
class KilledRun:
    returncode: int
    stderr: str
    #: Worker processes seen while it ran that were still alive 15 s after the kill.
    orphans: int
    events: list[tuple[str, str]]


def run_until_killed(
    argv: Sequence[str], events: Path, external_kill_after: float | None = None
) -> KilledRun:
    """Run ``argv`` (a driver) until it dies; SIGKILL it from outside after
    ``external_kill_after`` seconds when given. Children (extraction workers, the forkserver)
    are tracked so the test can check that none outlives a killed parent."""
    import psutil

    events.unlink(missing_ok=True)
    process = subprocess.Popen(
        list(argv), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    parent = psutil.Process(process.pid)
    children: dict[int, psutil.Process] = {}
    started = time.monotonic()
    while process.poll() is None:
        try:
            for child in parent.children(recursive=True):
                children.setdefault(child.pid, child)
        except psutil.Error:
            pass
        if external_kill_after is not None and time.monotonic() - started >= external_kill_after:
            _append(events, "kill external")
            process.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() - started < 300, "the driver ran for 5 minutes"
        time.sleep(0.02)
    _, stderr = process.communicate(timeout=60)
    deadline = time.monotonic() + 15
    alive = [c for c in children.values() if _alive(c)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [c for c in alive if _alive(c)]
    for child in alive:  # do not leak them into the next test, but count them
        child.kill()
    return KilledRun(process.returncode, stderr, len(alive), read_events(events))


def _alive(process: Any) -> bool:
    import psutil

    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


# -- events ------------------------------------------------------------------------------------


def _append(events: Path, line: str) -> None:
    fd = os.open(events, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def read_events(events: Path) -> list[tuple[str, str]]:
    if not events.exists():
        return []
    out = []
    for line in events.read_text(encoding="utf-8").splitlines():
        kind, _, detail = line.partition(" ")
        out.append((kind, detail))
    return out


def landing(events: list[tuple[str, str]]) -> str:
    """Where a kill landed: what was in flight at the ``kill`` event, the most delicate first.

    "compaction", "commit" (inside a LanceDB commit), "between commits" (chunks committed,
    manifest not yet), "embedding", "extraction" (workers busy, nothing being embedded or
    written), or "start-up" (before the first file was extracted).
    """
    open_: dict[str, int] = {}
    last_commit = ""
    extracted = False
    for kind, detail in events:
        if kind == "kill":
            break
        if kind.endswith("-start"):
            open_[kind[:-6]] = open_.get(kind[:-6], 0) + 1
        elif kind.endswith("-end"):
            open_[kind[:-4]] = open_.get(kind[:-4], 0) - 1
        if kind in ("commit-start", "commit-end"):
            last_commit = f"{kind} {detail.split()[0]}"
        extracted = extracted or kind == "extract"
    if open_.get("optimize", 0) > 0:
        return "compaction"
    if open_.get("commit", 0) > 0:
        return "commit"
    if last_commit == "commit-end chunks":
        return "between commits"
    if open_.get("embed", 0) > 0:
        return "embedding"
    return "extraction" if extracted else "start-up"


def embedded_hashes(events: list[tuple[str, str]]) -> set[str]:
    """Hashes of the chunk texts the run started to embed (logged before each call)."""
    return {detail for kind, detail in events if kind == "hash"}


# -- reading an index from the test process ----------------------------------------------------


@dataclass
class IndexState:
    """What an index holds, read through a fresh Engine (so opening it finishes or drops any
    write a killed process left half-done, as the app would on its next start)."""

    manifest: dict[str, FileRecord]
    chunk_ids: list[str]
    #: path -> its chunk indexes, in stored order (duplicates kept, to be caught).
    chunk_indexes: dict[str, list[int]]
    chunk_hashes: set[str]
    doctor_problems: list[str]
    recovered: str
    plan_to_index: set[str] = field(default_factory=set)
    plan_unchanged: int = 0


def read_state(home: Path, model: InstalledModel, root: Path | None = None) -> IndexState:
    paths.set_home(home)
    engine = Engine(Settings.load(), model=model)
    try:
        store = engine.store
        rows = (
            store.chunks.search()
            .select(["id", "path", "chunk_index", "chunk_hash"])
            .limit(None)
            .to_arrow()
            .to_pylist()
        )
        indexes: dict[str, list[int]] = {}
        for row in rows:
            indexes.setdefault(row["path"], []).append(row["chunk_index"])
        state = IndexState(
            manifest=store.manifest(),
            chunk_ids=[row["id"] for row in rows],
            chunk_indexes=indexes,
            chunk_hashes={row["chunk_hash"] for row in rows},
            doctor_problems=store.doctor().problems,
            recovered=store.recovered,
        )
        if root is not None:
            plan = engine.plan([str(root)])
            state.plan_to_index = {info.path for info in plan.to_index}
            state.plan_unchanged = plan.unchanged
        return state
    finally:
        engine.close()


def count_duplicates(state: IndexState) -> int:
    """Chunk rows beyond the first with the same id, or the same (path, chunk index)."""
    by_index = sum(len(v) - len(set(v)) for v in state.chunk_indexes.values())
    return max(len(state.chunk_ids) - len(set(state.chunk_ids)), by_index)


def assert_no_duplicates(state: IndexState) -> None:
    """Unique chunk ids, and per indexed file the chunk indexes 0..n-1 exactly once."""
    assert len(state.chunk_ids) == len(set(state.chunk_ids)), "duplicate chunk ids"
    for path, record in state.manifest.items():
        expected = list(range(record.chunk_count)) if record.status == STATUS_INDEXED else []
        assert sorted(state.chunk_indexes.get(path, [])) == expected, path
    orphans = set(state.chunk_indexes) - set(state.manifest)
    assert not orphans, f"chunks without a manifest row: {sorted(orphans)[:5]}"


def lost_files(before: dict[str, FileRecord], after: IndexState, root: Path) -> list[str]:
    """Files indexed before a kill that the index no longer holds, in their old or their
    current content (a file changed since may rightly have moved to its new version)."""
    lost = []
    for path, old in before.items():
        if old.status != STATUS_INDEXED:
            continue
        new = after.manifest.get(path)
        if new is None or new.status != STATUS_INDEXED:
            lost.append(path)
            continue
        current = sha256_file(Path(path)) if Path(path).exists() else ""
        if new.content_hash not in (old.content_hash, current):
            lost.append(path)
    return lost


def committed_current(state: IndexState, files: Sequence[Path]) -> int:
    """Files whose committed manifest row matches their content now: a resumed run must leave
    exactly these alone."""
    done = 0
    for path in files:
        record = state.manifest.get(str(path))
        if record is not None and record.content_hash == sha256_file(path):
            done += 1
    return done


# -- the driver ----------------------------------------------------------------------------------


class _Hooks:
    """Wraps engine and LanceDB methods to log events and kill the process at the trigger."""

    def __init__(self, phase: str, nth: int, delay: float, events: Path) -> None:
        self.phase, self.nth, self.delay, self.events = phase, nth, delay, events
        self.counts: dict[str, int] = {}
        #: Last duration of a chunks commit ("commit") and a chunks compaction ("compaction");
        #: until one is measured, what this machine took under load (30-110 ms, 70-155 ms).
        self.durations: dict[str, float] = {"commit": 0.03, "compaction": 0.07}
        self.lock = threading.Lock()

    def log(self, line: str) -> None:
        _append(self.events, line)

    def kill(self, why: str) -> None:
        self.log(f"kill {why}")
        os.kill(os.getpid(), signal.SIGKILL)

    def arm(self, phase: str) -> None:
        """Count one occurrence of ``phase``; on the nth, kill after the delay.

        For commits and compactions the delay is a fraction of the same operation's previous
        duration (they take milliseconds to a fraction of a second, and vary with the
        machine's load), so the kill lands inside the native call; otherwise it is seconds.
        """
        if self.phase != phase:
            return
        with self.lock:
            self.counts[phase] = self.counts.get(phase, 0) + 1
            if self.counts[phase] != self.nth:
                return
        delay = self.delay
        if phase in self.durations:
            delay *= self.durations[phase]
        if delay <= 0:
            self.kill(phase)  # does not return
        timer = threading.Timer(delay, self.kill, args=(phase,))
        timer.daemon = True
        timer.start()

    def install(self) -> None:
        os.environ.setdefault("LANCEDB_LOG", "error")  # as the app does before importing it
        from lancedb.table import LanceTable

        from desktop_app.engine.embedder import Embedder
        from desktop_app.engine.extract_pool import ExtractPool

        hooks = self
        collect = ExtractPool._collect
        embed = Embedder.embed_documents
        merge = LanceTable._do_merge
        delete = LanceTable.delete
        optimize = LanceTable.optimize

        def collect_hook(pool: ExtractPool, worker: Any) -> Any:
            result = collect(pool, worker)
            hooks.log(f"extract {result.info.path}")
            hooks.arm("extract")
            return result

        def embed_hook(embedder: Embedder, texts: Sequence[str]) -> Any:
            for text in texts:
                hooks.log(f"hash {hashlib.sha256(text.encode('utf-8')).hexdigest()}")
            hooks.log(f"embed-start {len(texts)}")
            hooks.arm("embed")
            vectors = embed(embedder, texts)
            hooks.log(f"embed-end {len(texts)}")
            return vectors

        def committing(original: Callable[..., Any], table: Any, *args: Any, **kw: Any) -> Any:
            name = table.name
            hooks.log(f"commit-start {name}")
            if name == "chunks":
                hooks.arm("commit")
            started = time.monotonic()
            result = original(table, *args, **kw)
            took = time.monotonic() - started
            hooks.log(f"commit-end {name} {took:.4f}")
            if name == "chunks":
                hooks.durations["commit"] = took
                hooks.arm("between")
            return result

        def merge_hook(table: Any, *args: Any, **kw: Any) -> Any:
            return committing(merge, table, *args, **kw)

        def delete_hook(table: Any, *args: Any, **kw: Any) -> Any:
            return committing(delete, table, *args, **kw)

        def optimize_hook(table: Any, *args: Any, **kw: Any) -> Any:
            name = table.name
            hooks.log(f"optimize-start {name}")
            if name == "chunks":
                hooks.arm("compaction")
            started = time.monotonic()
            result = optimize(table, *args, **kw)
            took = time.monotonic() - started
            hooks.log(f"optimize-end {name} {took:.4f}")
            if name == "chunks":
                hooks.durations["compaction"] = took
            return result

        ExtractPool._collect = collect_hook  # type: ignore[method-assign,assignment]
        Embedder.embed_documents = embed_hook  # type: ignore[method-assign,assignment]
        LanceTable._do_merge = merge_hook  # type: ignore[method-assign,assignment]
        LanceTable.delete = delete_hook  # type: ignore[method-assign,assignment]
        LanceTable.optimize = optimize_hook  # type: ignore[method-assign,assignment]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="index through the CLI, dying on cue")
    parser.add_argument("--phase", choices=PHASES, required=True)
    parser.add_argument("--nth", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--optimize-every", type=int, default=2)
    parser.add_argument("--commit-files", type=int, default=8)
    parser.add_argument("cli", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    from desktop_app import cli
    from desktop_app.engine import store

    # Smaller batches and more frequent compaction than the app's defaults, so that a run of
    # a few seconds has several commits and a compaction to be killed in.
    store.OPTIMIZE_EVERY_COMMITS = args.optimize_every
    config = Engine.pipeline_config

    def pipeline_config(engine: Engine) -> Any:
        return dataclasses.replace(
            config(engine), commit_files=args.commit_files, commit_interval_s=0.5
        )

    Engine.pipeline_config = pipeline_config  # type: ignore[method-assign,assignment]
    hooks = _Hooks(args.phase, args.nth, args.delay, args.events)
    hooks.install()
    hooks.log("run-start -")
    rest = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    code = cli.main(rest)
    hooks.log(f"run-end {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
