"""Shared pieces of the crash and disk-full tests: a corpus, a self-killing indexing driver, and
checks of an index from outside the process that wrote it.

The driver (``python -m tests.reliability.crash_helpers --phase P ... -- CLI ARGS``) runs the
real CLI (:func:`desktop_app.cli.main`) with hooks that

* log what the process is doing to an events file (one line per event, appended unbuffered, so
  the lines written before a SIGKILL survive it): extraction results, embedding calls with the
  hash of every text embedded, the start and end of every LanceDB commit and compaction;
* send SIGKILL to the process itself at the chosen moment: ``delay`` after the ``nth``
  extraction result, embedding call, chunks commit or compaction, or right after the ``nth``
  chunks commit, before its manifest commit (``between``). For embedding calls, commits and
  compactions the delay is a fraction of that operation's expected duration (a timer thread
  fires while the thread that armed it is inside the native call); after an extraction result
  it is seconds.

Every kill lands, by construction, on any machine, fast or slow:

* the trigger is the nth of events the run is certain to produce: :func:`guaranteed_events`
  counts them from the work the run is given (a fast machine does not merge two commits into
  one, it only lacks the time-triggered extra ones);
* a timed kill has a deadline it cannot outlive: the end of the embedding call, commit or
  compaction it was aimed inside, or the start of the batch write (journal, then the two
  commits) that holds the file whose extraction triggered it. If the timer has not fired by
  then (the operation was quicker than expected) the kill is sent at the deadline, and the
  events say so (``kill <phase> deadline``). The test passes the durations the previous run
  measured, so the timers fit the machine as it is loaded now.

A kill from inside is the same SIGKILL an external ``kill -9`` sends; the hooks only make it
land where a timer from outside would hit a few-millisecond commit once in hundreds of tries.
Phase ``none`` kills nothing itself: the test sends SIGKILL from outside a seeded delay after
the ``nth`` extraction result, and the driver holds at that file's batch write until the signal
comes.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
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
from desktop_app.engine.pipeline import PipelineConfig
from desktop_app.engine.records import STATUS_INDEXED, FileRecord
from desktop_app.engine.service import Engine
from desktop_app.engine.store import Store
from desktop_app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PHASES = ("extract", "embed", "commit", "between", "compaction", "none")
#: The event each phase counts to find its trigger (its ``nth`` occurrence).
TRIGGER_EVENT = {
    "extract": "extract",
    "none": "extract",
    "embed": "embed",
    "commit": "commit",
    "between": "commit-end",
    "compaction": "compaction",
}
#: The driver's batches: a commit every 8 files at most, a compaction every 2 commits (the app
#: makes them every 64 files and 20 commits), so a run of a few seconds has several of each.
COMMIT_FILES = 8
OPTIMIZE_EVERY = 2
#: Texts per embedding call at most (the governor may allow fewer, never more).
EMBED_BATCH = PipelineConfig.embed_batch
#: Expected durations until a run has measured them: chunks commit and compaction (s), and
#: embedding per text (s): what this machine took under load.
DEFAULT_DURATIONS = {"commit": 0.03, "compaction": 0.07, "embed": 0.05}
#: How long the driver holds at its deadline waiting for an outside kill before giving up.
HOLD_S = 120.0
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
    durations: dict[str, float] | None = None,
) -> list[str]:
    """The CLI's ``index`` run through the self-killing driver below; ``durations`` are the
    expected durations (:data:`DEFAULT_DURATIONS`) the fractional delays apply to."""
    expected = {**DEFAULT_DURATIONS, **(durations or {})}
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
        "--durations",
        ",".join(f"{name}={seconds:.5f}" for name, seconds in sorted(expected.items())),
        "--",
        "--data-dir",
        str(home),
        "index",
        str(root),
        "--json",
    ]


def guaranteed_events(files: int, fresh: int) -> dict[str, int]:
    """Per phase, how many of its trigger events a driver run is certain to produce, however
    fast or slow the machine: the largest ``nth`` it can be given.

    ``files`` is the number of files the run's plan has to index, ``fresh`` how many of them
    hold text written since the last run (text that cannot be stored yet, so it must be
    embedded). Each file gives one extraction result; the writer commits when it holds
    :data:`COMMIT_FILES` files or when an interval has passed, so at least
    ``ceil(files / COMMIT_FILES)`` chunks commits (time only adds commits); the store
    compacts after every :data:`OPTIMIZE_EVERY` of them; an embedding call takes at most
    :data:`EMBED_BATCH` texts.
    """
    commits = math.ceil(files / COMMIT_FILES)
    return {
        "extract": files,
        "none": files,
        "embed": math.ceil(fresh / EMBED_BATCH),
        "commit": commits,
        "between": commits,
        "compaction": commits // OPTIMIZE_EVERY,
    }


@dataclass
class KilledRun:
    returncode: int
    stderr: str
    #: Worker processes seen while it ran that were still alive 15 s after the kill.
    orphans: int
    events: list[tuple[str, str]]


def run_until_killed(
    argv: Sequence[str], events: Path, external: tuple[int, float] | None = None
) -> KilledRun:
    """Run ``argv`` (a driver) until it dies. With ``external = (nth, delay)``, SIGKILL it from
    outside ``delay`` seconds after its ``nth`` extraction result (a driver of phase ``none``
    holds at that file's commit until then). Children (extraction workers, the forkserver) are
    tracked so the test can check that none outlives a killed parent."""
    import psutil

    events.unlink(missing_ok=True)
    process = subprocess.Popen(
        list(argv), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    parent = psutil.Process(process.pid)
    children: dict[int, psutil.Process] = {}
    started = time.monotonic()
    kill_at: float | None = None
    while process.poll() is None:
        try:
            for child in parent.children(recursive=True):
                children.setdefault(child.pid, child)
        except psutil.Error:
            pass
        if external is not None and kill_at is None:
            nth, delay = external
            if sum(kind == "extract" for kind, _ in read_events(events)) >= nth:
                kill_at = time.monotonic() + delay
        if kill_at is not None and time.monotonic() >= kill_at:
            process.send_signal(signal.SIGKILL)
            process.wait()
            _append(events, "kill external")  # after it died: nothing the run did follows
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
    written), "start-up" (before the first file was extracted), or "after the run" (the run
    had ended: the kill proved nothing, and a test must fail on it).
    """
    open_: dict[str, int] = {}
    last_commit = ""
    extracted = False
    for kind, detail in events:
        if kind == "kill":
            break
        if kind == "run-end":
            return "after the run"
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


def at_deadline(events: list[tuple[str, str]]) -> bool:
    """Whether the kill came at its deadline rather than on its timer: sent by the driver at
    the end of the operation it was aimed inside (``kill <phase> deadline``), or from outside
    while the driver held at the triggering file's commit (``hold``)."""
    for kind, detail in events:
        if kind == "hold":
            return True
        if kind == "kill":
            return detail.endswith(" deadline")
    return False


def measured_durations(events: list[tuple[str, str]]) -> dict[str, float]:
    """The last chunks commit and compaction durations and embedding time per text a run
    logged: the next run's expected durations, so its fractional delays fit this machine as
    it is loaded now."""
    found: dict[str, float] = {}
    for kind, detail in events:
        fields = detail.split()
        if kind == "commit-end" and fields[0] == "chunks":
            found["commit"] = float(fields[1])
        elif kind == "optimize-end" and fields[0] == "chunks":
            found["compaction"] = float(fields[1])
        elif kind == "embed-end":
            found["embed"] = float(fields[1]) / max(1, int(fields[0]))
    return found


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


@dataclass
class Restarts:
    """The index opened afresh after interrupted runs and checked, counted for the figures
    (each count taken before its check, so a failing check's figures say what it saw)."""

    rolled_forward: int = 0
    rolled_back: int = 0
    clean: int = 0
    duplicates: int = 0
    lost: int = 0

    def check(
        self, home: Path, model: InstalledModel, root: Path, before: IndexState, what: object
    ) -> IndexState:
        """Open the index (finishing or dropping a half-done batch from its journal), then:
        doctor clean, no duplicate chunks, no file lost that was indexed ``before``. ``what``
        names the interrupted run in a failure."""
        after = read_state(home, model, root)
        self.rolled_forward += after.recovered == "rolled forward"
        self.rolled_back += after.recovered == "rolled back"
        assert after.doctor_problems == [], (what, after.doctor_problems[:5])
        self.clean += 1
        self.duplicates += count_duplicates(after)
        assert_no_duplicates(after)
        lost = lost_files(before.manifest, after, root)
        self.lost += len(lost)
        assert not lost, (what, lost[:5])
        return after


def committed_current(state: IndexState, files: Sequence[Path]) -> int:
    """Files whose committed manifest row matches their content now: a resumed run must leave
    exactly these alone."""
    done = 0
    for path in files:
        record = state.manifest.get(str(path))
        if record is not None and record.content_hash == sha256_file(path):
            done += 1
    return done


def resume_to_the_end(
    home: Path, model: InstalledModel, root: Path, files: Sequence[Path]
) -> dict[str, Any]:
    """The plain CLI, no hooks, after kills or a full disk: it resumes and finishes without
    embedding a committed file again, and the index is whole (doctor clean through the CLI,
    no duplicates, every file indexed at its current content). Returns the run's summary."""
    before = read_state(home, model, root)
    done = committed_current(before, files)
    final = subprocess.run(
        cli_argv(home, "index", str(root), "--json"),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
    )
    assert final.returncode == 0, final.stderr[-2000:]
    summary: dict[str, Any] = json.loads(final.stdout)
    assert summary["unchanged"] == done  # committed files are not embedded again
    assert summary["indexed"] == len(files) - done
    assert summary["embedded"] <= summary["chunks"] == len(files) - done  # one chunk a file

    doctor = subprocess.run(
        cli_argv(home, "doctor", "--json"), capture_output=True, text=True, check=True
    )
    assert json.loads(doctor.stdout)["ok"] is True
    state = read_state(home, model, root)
    assert_no_duplicates(state)
    assert state.plan_to_index == set()
    assert sorted(state.manifest) == sorted(str(p) for p in files)
    for path in files:
        assert state.manifest[str(path)].content_hash == sha256_file(path)
    return summary


# -- the driver ----------------------------------------------------------------------------------


class _Hooks:
    """Wraps engine and LanceDB methods to log events and kill the process at the trigger,
    at the latest at the trigger's deadline."""

    def __init__(
        self, phase: str, nth: int, delay: float, events: Path, durations: dict[str, float]
    ) -> None:
        self.phase, self.nth, self.delay, self.events = phase, nth, delay, events
        self.count = 0
        #: Expected durations (chunks commit, compaction, embedding per text), measured by the
        #: previous run and then by this one.
        self.durations = dict(durations)
        #: For a trigger on an extraction result: that file, whose commit is the deadline.
        self.trigger_path: str | None = None
        self.lock = threading.Lock()
        self.kill_lock = threading.Lock()

    def log(self, line: str) -> None:
        _append(self.events, line)

    def kill(self, why: str) -> None:
        with self.kill_lock:  # a timer and a deadline may race: one kill line, one signal
            self.log(f"kill {why}")
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(HOLD_S)  # SIGKILL cannot be caught: the process is gone before this

    def arm(self, event: str, expected: float = 1.0) -> bool:
        """Count one ``event``; if it is the trigger's nth, start the kill and return True.

        The kill comes ``delay`` x ``expected`` seconds later from a timer thread (at once for
        no delay); for a commit, a compaction or an embedding call ``expected`` is the
        operation's expected duration, so the kill lands inside the native call. For phase
        ``none`` the kill comes from outside. The caller then calls :meth:`deadline` at the
        latest point the kill may land.
        """
        if TRIGGER_EVENT[self.phase] != event:
            return False
        with self.lock:
            self.count += 1
            if self.count != self.nth:
                return False
        self.log(f"trigger {self.phase} {self.nth}")
        if self.phase == "none":
            return True
        delay = self.delay * expected
        if delay <= 0:
            self.kill(self.phase)  # does not return
        timer = threading.Timer(delay, self.kill, args=(self.phase,))
        timer.daemon = True
        timer.start()
        return True

    def deadline(self) -> None:
        """The armed kill has not landed yet and the run is about to move past the point it
        was aimed at: send it now. For an outside kill, hold here until it comes (a run that
        gave up waiting exits 3, which fails the test)."""
        if self.phase != "none":
            self.kill(f"{self.phase} deadline")
        self.log("hold -")
        time.sleep(HOLD_S)
        self.log("hold-timeout -")
        os._exit(3)

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
        apply = Store.apply

        def collect_hook(pool: ExtractPool, worker: Any) -> Any:
            result = collect(pool, worker)
            hooks.log(f"extract {result.info.path}")
            if hooks.arm("extract"):
                hooks.trigger_path = result.info.path
            return result

        def apply_hook(store: Store, updates: Sequence[Any], deleted: Sequence[str] = ()) -> None:
            if hooks.trigger_path is not None and hooks.trigger_path in {
                *(u.record.path for u in updates),
                *deleted,
            }:
                hooks.deadline()
            apply(store, updates, deleted)

        def embed_hook(embedder: Embedder, texts: Sequence[str]) -> Any:
            for text in texts:
                hooks.log(f"hash {hashlib.sha256(text.encode('utf-8')).hexdigest()}")
            hooks.log(f"embed-start {len(texts)}")
            armed = hooks.arm("embed", hooks.durations["embed"] * len(texts))
            started = time.monotonic()
            vectors = embed(embedder, texts)
            took = time.monotonic() - started
            if armed:
                hooks.deadline()
            hooks.log(f"embed-end {len(texts)} {took:.4f}")
            hooks.durations["embed"] = took / max(1, len(texts))
            return vectors

        def timed(
            label: str,
            event: str,
            original: Callable[..., Any],
            table: Any,
            /,
            *args: Any,
            **kw: Any,
        ) -> Any:
            """``original`` on ``table``, logged as ``<label>-start``/``-end`` with its time;
            on the chunks table it counts as ``event``, and a kill armed there lands inside
            it (at the latest when it returns). Its time is the next expected duration."""
            name = table.name
            hooks.log(f"{label}-start {name}")
            armed = name == "chunks" and hooks.arm(event, hooks.durations[event])
            started = time.monotonic()
            result = original(table, *args, **kw)
            took = time.monotonic() - started
            if armed:
                hooks.deadline()
            hooks.log(f"{label}-end {name} {took:.4f}")
            if name == "chunks":
                hooks.durations[event] = took
            return result

        def committing(original: Callable[..., Any], table: Any, *args: Any, **kw: Any) -> Any:
            result = timed("commit", "commit", original, table, *args, **kw)
            if table.name == "chunks" and hooks.arm("commit-end"):
                hooks.deadline()  # between the two commits: at once, no timer
            return result

        def merge_hook(table: Any, *args: Any, **kw: Any) -> Any:
            return committing(merge, table, *args, **kw)

        def delete_hook(table: Any, *args: Any, **kw: Any) -> Any:
            return committing(delete, table, *args, **kw)

        def optimize_hook(table: Any, *args: Any, **kw: Any) -> Any:
            return timed("optimize", "compaction", optimize, table, *args, **kw)

        ExtractPool._collect = collect_hook  # type: ignore[method-assign,assignment]
        Embedder.embed_documents = embed_hook  # type: ignore[method-assign,assignment]
        LanceTable._do_merge = merge_hook  # type: ignore[method-assign,assignment]
        LanceTable.delete = delete_hook  # type: ignore[method-assign,assignment]
        LanceTable.optimize = optimize_hook  # type: ignore[method-assign,assignment]
        Store.apply = apply_hook  # type: ignore[method-assign,assignment]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="index through the CLI, dying on cue")
    parser.add_argument("--phase", choices=PHASES, required=True)
    parser.add_argument("--nth", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--durations", default="", help="name=seconds,... (DEFAULT_DURATIONS)")
    parser.add_argument("cli", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    durations = dict(DEFAULT_DURATIONS)
    for item in filter(None, args.durations.split(",")):
        name, _, seconds = item.partition("=")
        durations[name] = float(seconds)

    from desktop_app import cli
    from desktop_app.engine.store import facade

    # Smaller batches and more frequent compaction than the app's defaults (see COMMIT_FILES),
    # set here whatever the app's defaults become: guaranteed_events counts with them.
    facade.OPTIMIZE_EVERY_COMMITS = OPTIMIZE_EVERY  # the module whose Store reads it
    config = Engine.pipeline_config

    def pipeline_config(engine: Engine) -> Any:
        return dataclasses.replace(
            config(engine),
            commit_files=COMMIT_FILES,
            commit_interval_s=0.5,
            embed_batch=EMBED_BATCH,
        )

    Engine.pipeline_config = pipeline_config  # type: ignore[method-assign,assignment]
    hooks = _Hooks(args.phase, args.nth, args.delay, args.events, durations)
    hooks.install()
    hooks.log("run-start -")
    rest = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    code = cli.main(rest)
    hooks.log(f"run-end {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
