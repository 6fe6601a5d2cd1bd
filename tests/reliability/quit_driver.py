"""Drive the real app and quit it at a chosen moment: the quit stress test's child process.

Run as ``python -X faulthandler -m tests.reliability.quit_driver --scenario S --seed N --folder F
--report R --data-dir D``. It creates the QApplication, arms a zero-delay timer, and hands over
to the real entry point (:func:`desktop_app.cli.main` with ``gui``), so ``run_gui`` builds the
real window, bridge and engine exactly as ``desktop-search`` does; the timer then finds the
window and plays the scenario through the window's own widgets and signals (the folder panel's
``add_requested``, the search box, the file system), and quits through File > Quit, the very
action a user clicks: the window closes, the app's last window is gone, ``aboutToQuit`` runs the
bridge's shutdown, ``main`` returns and the interpreter finalizes.

Scenarios (every delay drawn from the seed):

* ``start``: the folder is already in the settings, so start-up runs a catch-up index; quit at a
  random moment of the first seconds (the model loading) or after the engine is ready (the
  catch-up run walking the folder, starting its workers, embedding);
* ``indexing``: add the folder through the panel, quit at a random moment after the add (the
  folder walked, the extraction workers starting) or after the first progress report;
* ``search``: once indexed, a few searches in a row, quit while the last one is in flight;
* ``delete``: once indexed, delete a file and quit at a random moment while the watcher
  notices it and the re-index runs;
* ``ann``: the ANN threshold lowered to one chunk, quit the moment the build thread is seen;
* ``session``: index, search, delete, wait for the re-index, idle, then quit;
* ``long``: a long session compressed: once indexed, the bridge's ``memory`` signal is emitted
  from a worker thread as many times as hours of memory readings and a large first indexing
  run's progress reports add up to (:data:`LONG_SESSION_EMITS`), then quit when the window has
  taken them all. This is the session of issue 13: before the fix it ended in ``bool_dealloc``.

A JSON report (what was running at the moment of the quit, timings, True/False reference
counts) goes to ``--report``; stderr is left to the app, the test reads it whole.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import thread as futures_thread
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

SCENARIOS = ("start", "indexing", "search", "delete", "ann", "session", "long")
#: Signal emits of the ``long`` scenario. With PySide6 6.12.0 each emit took a reference to
#: True; 6,000 were survived and 12,000 were not, at quit, in this app.
LONG_SESSION_EMITS = 15_000
WORDS = (
    "amber basalt cedar delta ember fjord garnet harbor indigo juniper kelp lagoon meadow "
    "nickel obsidian prairie quartz raven saffron tundra umber violet willow xenon yarrow zephyr"
).split()
#: Daemon threads that may outlive ``main``: LanceDB's own asyncio loop (idle once the engine is
#: closed, waiting in epoll without the GIL; every LanceDB user has it).
LIBRARY_DAEMONS = ("LanceDBBackgroundEventLoop",)
#: How long the ``ann`` scenario looks for the build thread before quitting anyway.
ANN_WAIT_S = 3.0
#: A run (start, scenario, quit) that takes longer is killed and counted as a hang.
RUN_TIMEOUT_S = 300
#: A quit that has not finished by then is a hang: every thread's stack is dumped, exit 1.
HANG_DUMP_S = 90.0
#: The longest a scenario may take to reach its quit before the driver quits anyway.
SCENARIO_TIMEOUT_S = 120.0


def make_corpus(root: Path, count: int, seed: int) -> list[Path]:
    """Small text and Markdown files (a few chunks each), distinct per seed."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    made = []
    for index in range(count):
        paragraphs = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "."
            for _ in range(rng.randint(1, 4))
        ]
        suffix = ".md" if index % 3 == 0 else ".txt"
        path = root / f"note{index:03d}{suffix}"
        heading = f"# note {index}\n\n" if suffix == ".md" else ""
        path.write_text(heading + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        made.append(path)
    return made


def prepare_home(home: Path, folder: Path | None) -> None:
    """One embedding thread (two spin against each other on a shared two-core machine), and
    the folder already indexed-for when given (the start-up catch-up scan then runs)."""
    from desktop_app import paths
    from desktop_app.settings import Settings

    paths.set_home(home)
    settings = Settings.load()
    settings.set("threads", 1)
    if folder is not None:
        settings.set("folders", [str(folder)])
    settings.save()
    paths.set_home(None)


def refs() -> dict[str, int]:
    """Reference counts of the singletons PySide6 6.12.0 leaks (huge once made immortal)."""
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True)}


class Driver:
    """Plays one scenario on the real window and quits through File > Quit."""

    def __init__(self, app: QApplication, scenario: str, seed: int, folder: Path) -> None:
        self.app = app
        self.scenario = scenario
        self.rng = random.Random(seed)
        self.folder = folder
        self.started = time.monotonic()
        self.window: Any = None
        self.bridge: Any = None
        self.report: dict[str, Any] = {"scenario": scenario, "seed": seed, "events": []}
        self._indexed_runs = 0
        self._deleted: Path | None = None
        self._pending_search = 0
        self._quit_armed = False

    # -- bookkeeping -------------------------------------------------------------------------

    def note(self, event: str) -> None:
        self.report["events"].append([round(time.monotonic() - self.started, 3), event])

    def later(self, seconds: float, action: Any) -> None:
        QTimer.singleShot(max(0, round(seconds * 1000)), action)

    # -- attach to the window run_gui built ----------------------------------------------------

    def attach(self) -> None:
        from desktop_app.ui.main_window import MainWindow

        windows = [w for w in self.app.topLevelWidgets() if isinstance(w, MainWindow)]
        assert len(windows) == 1, f"expected the main window, found {windows}"
        self.window = windows[0]
        self.bridge = self.window.bridge
        self.report["refs_at_start"] = refs()
        b = self.bridge
        b.engine_ready.connect(self._on_ready)
        b.engine_failed.connect(lambda m: self.quit(f"engine failed: {m}"))
        b.index_finished.connect(self._on_index_finished)
        b.results.connect(self._on_results)
        b.search_failed.connect(self._on_results)
        b.progress.connect(self._on_progress)
        # Quit anyway if the scenario stalls (the report then says so and the test fails).
        self.later(SCENARIO_TIMEOUT_S, lambda: self.quit("timeout: the scenario stalled"))
        if self.scenario == "start" and self.rng.random() < 0.5:
            self.later(self.rng.uniform(0.0, 6.0), lambda: self.quit("random moment of the start"))

    # -- scenarios -----------------------------------------------------------------------------

    def _on_ready(self, _info: object) -> None:
        self.note("engine ready")
        if self.scenario == "start":  # the catch-up run over the folder starts now
            self.later(self.rng.uniform(0.0, 3.0), lambda: self.quit("random moment of catch-up"))
            return
        # What the folders panel emits once the user picked a folder in the dialog.
        self.window.folders.add_requested.emit(str(self.folder))
        if self.scenario == "indexing" and self.rng.random() < 0.5:
            self._quit_armed = True  # walking the folder, starting the extraction workers
            self.later(self.rng.uniform(0.0, 3.0), lambda: self.quit("random moment of indexing"))

    def _on_progress(self, _progress: object) -> None:
        if self.scenario == "indexing" and not self._quit_armed:
            self._quit_armed = True  # embedding and writing
            self.note("first progress")
            self.later(self.rng.uniform(0.0, 0.3), lambda: self.quit("random moment of indexing"))

    def _on_index_finished(self, summary: Any) -> None:
        self._indexed_runs += 1
        self.note(f"index finished ({summary.indexed} indexed, {summary.removed} removed)")
        if self._indexed_runs == 1:
            self._after_first_index()
        elif self.scenario == "session" and self._deleted is not None:
            self.later(self.rng.uniform(0.0, 1.0), lambda: self.quit("idle after the session"))

    def _after_first_index(self) -> None:
        if self.scenario in ("search", "session"):
            self._search_burst(self.rng.randint(1, 4))
        elif self.scenario == "delete":
            self._delete_one()  # the watcher hears it, waits out its debounce, re-indexes
            self.later(self.rng.uniform(0.0, 1.0), lambda: self.quit("random moment after delete"))
        elif self.scenario == "long":
            self._long_session()
        elif self.scenario == "ann":
            self._quit_during_ann_build(time.monotonic() + ANN_WAIT_S)

    def _quit_during_ann_build(self, deadline: float) -> None:
        """Quit as soon as the engine's ANN thread is seen running (it starts right after the
        run and builds a tiny index in a tenth of a second), or at the deadline anyway."""
        ann = getattr(self.bridge.engine, "_ann_thread", None)
        if (ann is not None and ann.is_alive()) or time.monotonic() > deadline:
            self.quit("during the ANN build")
        else:
            self.later(0.002, lambda: self._quit_during_ann_build(deadline))

    def _long_session(self) -> None:
        bridge = self.bridge
        received = [0]

        from desktop_app.engine.memory import MemoryStatus, Pressure

        def emit_all() -> None:  # as the runner's memory thread does, only without the waits
            for second in range(LONG_SESSION_EMITS):
                bridge.memory.emit(
                    MemoryStatus(
                        rss=300 << 20,
                        available=4 << 30,
                        total=8 << 30,
                        budget=1536 << 20,
                        level=Pressure.OK,
                        model_bytes=45 << 20,
                        time=float(second),
                    )
                )

        def count(_reading: object) -> None:
            received[0] += 1
            if received[0] == LONG_SESSION_EMITS:
                self.note(f"{LONG_SESSION_EMITS} readings shown")
                self.later(self.rng.uniform(0.0, 0.5), lambda: self.quit("after a long session"))

        bridge.memory.connect(count)
        threading.Thread(target=emit_all, name="long-session").start()

    def _search_burst(self, count: int) -> None:
        for _ in range(count):
            words = " ".join(self.rng.sample(WORDS, self.rng.randint(1, 3)))
            self.window.search_box.setText(words)
            self.window.search_box.returnPressed.emit()  # Enter in the search box
            self._pending_search += 1
        self.note(f"{count} searches sent")
        if self.scenario == "search":
            self.later(self.rng.uniform(0.0, 0.05), lambda: self.quit("search in flight"))

    def _on_results(self, *_args: object) -> None:
        self._pending_search = max(0, self._pending_search - 1)
        if self.scenario == "session" and self._deleted is None:
            self._delete_one()

    def _delete_one(self) -> None:
        files = sorted(self.folder.iterdir())
        victim = self.rng.choice(files)
        victim.unlink()
        self._deleted = victim
        self.note(f"deleted {victim.name}")

    # -- quitting ------------------------------------------------------------------------------

    def _activity(self) -> str:
        """What the app was doing at the moment of the quit."""
        bridge = self.bridge
        engine = bridge.engine if bridge is not None else None
        if engine is None:
            return "the engine starts"
        if bridge.indexing:
            return "indexing"
        ann = getattr(engine, "_ann_thread", None)
        if ann is not None and ann.is_alive():
            return "building the ANN index"
        if self._pending_search:
            return "a search is in flight"
        if self._deleted is not None and self._indexed_runs < 2:
            return "re-indexing a deletion"
        return "idle"

    def quit(self, why: str) -> None:
        if self.report.get("quit"):
            return
        self.report["quit"] = why
        self.report["activity"] = self._activity()
        self.report["quit_at_s"] = round(time.monotonic() - self.started, 3)
        self.report["refs_at_quit"] = refs()
        # A quit that hangs dumps every thread's stack and exits 1 instead of waiting forever.
        faulthandler.dump_traceback_later(HANG_DUMP_S, exit=True)
        quit_action = next(
            a
            for a in self.window.menuBar().actions()[0].menu().actions()
            if a.text().replace("&", "") == "Quit"
        )
        quit_action.trigger()  # File > Quit


# -- the parent's side: one run, judged -------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
#: The offscreen platform cannot size native windows and says so once per shown window; it is
#: the one stderr line allowed (pyproject's qt_log_ignore makes the same exception).
ALLOWED_STDERR = ("This plugin does not support propagateSizeHints()",)
CORPUS_FILES = 20


@dataclass
class RunResult:
    scenario: str
    seed: int
    returncode: int
    stderr: str
    report: dict[str, Any] | None
    seconds: float

    @property
    def problems(self) -> list[str]:
        """Everything that makes this quit unclean (empty: a clean exit)."""
        found = []
        if self.returncode != 0:
            found.append(f"exit code {self.returncode}")
        noise = [line for line in self.stderr.splitlines() if line.strip() not in ALLOWED_STDERR]
        if noise:
            found.append("stderr: " + "\n".join(noise[:60]))
        if self.report is None:
            found.append("no report (the driver did not get to the end of main)")
        else:
            if str(self.report.get("quit", "")).startswith("timeout"):
                found.append(f"scenario stalled: {self.report.get('events')}")
            if self.report.get("daemons_left"):
                found.append(f"daemon threads alive after main: {self.report['daemons_left']}")
        return found

    @property
    def activity(self) -> str:
        return str((self.report or {}).get("activity", "unknown"))


def run_once(work: Path, scenario: str, seed: int, root: Path = REPO) -> RunResult:
    """One app process through ``scenario``; ``work`` is an empty folder of its own."""
    docs, home, runtime = work / "docs", work / "home", work / "xdg"
    make_corpus(docs, CORPUS_FILES, seed)
    prepare_home(home, docs if scenario == "start" else None)
    runtime.mkdir(mode=0o700)
    report = work / "report.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_RUNTIME_DIR": str(runtime),  # else Qt warns that it is unset
        "PYTHONFAULTHANDLER": "1",
    }
    env.pop("DS_RECORD_FIGURES", None)
    argv = [sys.executable, "-X", "faulthandler", "-m", "tests.reliability.quit_driver"]
    argv += ["--scenario", scenario, "--seed", str(seed), "--folder", str(docs)]
    argv += ["--data-dir", str(home), "--report", str(report)]
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, cwd=root, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )
        code, stderr = done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        code, stderr = -9, f"killed after {RUN_TIMEOUT_S} s\n{exc.stderr or ''}"
    seconds = time.monotonic() - started
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return RunResult(scenario, seed, code, stderr, data, seconds)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.scenario == "ann":
        from desktop_app.engine.store import indexes

        indexes.ANN_THRESHOLD_ROWS = 1  # any index is "large": the build starts after the run
    app = QApplication(sys.argv[:1])  # run_gui takes this instance over
    driver = Driver(app, args.scenario, args.seed, args.folder)
    QTimer.singleShot(0, driver.attach)  # armed before run_gui's own timer that starts the bridge
    from desktop_app.cli import main as cli_main

    code = cli_main(["--data-dir", str(args.data_dir), "gui"])
    faulthandler.cancel_dump_traceback_later()
    driver.report["exit_code"] = code
    driver.report["refs_at_exit"] = refs()
    # A daemon thread still running now runs on while the interpreter finalizes. Executor
    # workers (daemons when a daemon thread started them) are joined before that, by the exit
    # hook concurrent.futures registers with threading.
    executor_workers = set(futures_thread._threads_queues)
    driver.report["daemons_left"] = sorted(
        t.name
        for t in threading.enumerate()
        if t.daemon and t not in executor_workers and t.name not in LIBRARY_DAEMONS
    )
    args.report.write_text(json.dumps(driver.report), encoding="utf-8")
    # Re-armed for the interpreter's finalization: a hang there is reported the same way.
    faulthandler.dump_traceback_later(HANG_DUMP_S, exit=True)
    return code


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
