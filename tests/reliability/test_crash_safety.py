"""Crash safety: SIGKILL the indexing CLI in extraction, embedding, inside a LanceDB commit,
between a batch's two commits and inside a compaction; after every kill the index is whole.

tests/integration/test_crash.py kills the plain CLI at four timed moments (start-up, right after
a commit, mid-embedding, random) and checks the final resume. This file adds what a timer from
outside cannot reach: kills landing inside the few-millisecond commits and compactions, through
the self-killing driver of :mod:`tests.reliability.crash_helpers`, with after every kill:

* ``doctor`` clean (opening the index first finishes or drops a half-done batch from its
  journal, as the app does on its next start);
* no duplicated chunk (unique ids; per file the chunk indexes 0..n-1 once, no orphans);
* nothing lost: every file indexed before the kill is still indexed (old or current content);
* the resumed plan leaves exactly the committed files alone, and the killed run embedded no
  text whose vector was already stored when it started;
* no extraction worker outlives its killed parent.

The fast test (``make test``) makes 3 kills at the delicate points; the soak test makes 20 at
seeded random points over every phase and records the figures for docs/RELIABILITY.md.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop_app.engine.models import InstalledModel
from tests.reliability import crash_helpers as ch
from tests.reliability.figures import record

INITIAL_FILES = 24
CHANGED_PER_ROUND = 2


@dataclass
class Tally:
    """What the kill rounds did, for the assertions and the recorded figures."""

    attempts: int = 0
    kills: int = 0
    finished_before_trigger: int = 0
    landed: Counter[str] = field(default_factory=Counter)
    rolled_forward: int = 0
    rolled_back: int = 0
    clean_restarts: int = 0
    duplicates: int = 0
    lost: int = 0
    resumed_without_reembedding: int = 0
    orphan_workers: int = 0
    seconds: float = 0.0


class CrashRun:
    """A folder that grows and changes between rounds, so every round has work to kill."""

    def __init__(self, tmp_path: Path, model: InstalledModel, new_per_round: int) -> None:
        self.model = model
        self.new_per_round = new_per_round
        self.root = tmp_path / "docs"
        self.home = tmp_path / "home"
        self.events = tmp_path / "events.log"
        self.files = ch.make_corpus(self.root, INITIAL_FILES)
        self.versions: dict[int, int] = {}
        self.tally = Tally()
        ch.prepare_home(self.home)

    def add_work(self, rng: random.Random) -> None:
        """New files, and new content for a few files that were already indexed."""
        self.files += ch.make_corpus(self.root, self.new_per_round, start=len(self.files))
        for index in rng.sample(range(len(self.files) - self.new_per_round), CHANGED_PER_ROUND):
            self.versions[index] = self.versions.get(index, 0) + 1
            ch.write_doc(self.root, index, self.versions[index])

    def kill_round(self, phase: str, nth: int, delay: float) -> bool:
        """One driver run killed at (phase, nth, delay); the checks; False if it finished
        before its trigger came (no kill to check)."""
        tally = self.tally
        tally.attempts += 1
        before = ch.read_state(self.home, self.model)
        argv = ch.driver_argv(self.home, self.root, self.events, phase, nth, delay)
        run = ch.run_until_killed(
            argv, self.events, external_kill_after=delay if phase == "none" else None
        )
        tally.orphan_workers += run.orphans
        if run.returncode == 0:
            tally.finished_before_trigger += 1
            return False
        assert run.returncode == -signal.SIGKILL, run.stderr[-2000:]
        assert any(kind == "kill" for kind, _ in run.events), "killed, but not by the test"
        tally.kills += 1
        tally.landed[ch.landing(run.events)] += 1

        after = ch.read_state(self.home, self.model, self.root)
        tally.rolled_forward += after.recovered == "rolled forward"
        tally.rolled_back += after.recovered == "rolled back"
        assert after.doctor_problems == [], (phase, after.doctor_problems[:5])
        tally.clean_restarts += 1
        tally.duplicates += ch.count_duplicates(after)
        ch.assert_no_duplicates(after)
        lost = ch.lost_files(before.manifest, after, self.root)
        tally.lost += len(lost)
        assert not lost, lost[:5]
        # Resume: the next run's plan leaves exactly the committed files alone...
        done = ch.committed_current(after, self.files)
        assert after.plan_unchanged == done
        assert after.plan_to_index == {str(p) for p in self.files} - {
            str(p)
            for p in self.files
            if str(p) in after.manifest and after.manifest[str(p)].content_hash == ch.sha256_file(p)
        }
        # ...and the killed run itself re-embedded nothing that was stored when it started.
        reembedded = ch.embedded_hashes(run.events) & before.chunk_hashes
        assert not reembedded, f"{len(reembedded)} stored chunk texts embedded again"
        tally.resumed_without_reembedding += 1
        return True

    def finish(self) -> dict[str, int]:
        """The plain CLI, no hooks: it resumes, finishes, and the index is whole."""
        before = ch.read_state(self.home, self.model, self.root)
        done = ch.committed_current(before, self.files)
        final = subprocess.run(
            ch.cli_argv(self.home, "index", str(self.root), "--json"),
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ch.REPO,
        )
        assert final.returncode == 0, final.stderr[-2000:]
        summary: dict[str, int] = json.loads(final.stdout)
        assert summary["unchanged"] == done  # committed files are not embedded again
        assert summary["indexed"] == len(self.files) - done
        assert summary["embedded"] <= summary["chunks"] == len(self.files) - done

        doctor = subprocess.run(
            ch.cli_argv(self.home, "doctor", "--json"), capture_output=True, text=True, check=True
        )
        assert json.loads(doctor.stdout)["ok"] is True
        state = ch.read_state(self.home, self.model, self.root)
        ch.assert_no_duplicates(state)
        assert state.plan_to_index == set()
        assert sorted(state.manifest) == sorted(str(p) for p in self.files)
        for path in self.files:
            assert state.manifest[str(path)].content_hash == ch.sha256_file(path)
        return summary


def test_sigkill_inside_commits_and_compaction_then_resume(
    tmp_path: Path, default_model: InstalledModel
) -> None:
    """Three kills at the points the timed kills of test_crash.py cannot hit: right between a
    batch's chunks commit and its manifest commit, inside a chunks commit, inside a
    compaction."""
    started = time.monotonic()
    rng = random.Random(8)
    run = CrashRun(tmp_path, default_model, new_per_round=6)
    schedule = [
        ("between", 1, 0.0),
        ("commit", 2, rng.uniform(0.1, 0.9)),
        ("compaction", 1, rng.uniform(0.1, 0.9)),
    ]
    for number, (phase, nth, delay) in enumerate(schedule):
        if number:
            run.add_work(rng)
        assert run.kill_round(phase, nth, delay), f"{phase}: the run ended before the kill"
    tally = run.tally
    # The kill between the two commits leaves chunks without their manifest rows: opening
    # the index must have finished that batch from the journal.
    assert tally.rolled_forward >= 1
    assert tally.landed["between commits"] >= 1
    assert tally.orphan_workers == 0
    run.finish()
    assert time.monotonic() - started < 600


@pytest.mark.soak
def test_twenty_sigkills_at_random_points(tmp_path: Path, default_model: InstalledModel) -> None:
    """20 kills at seeded random points over extraction, embedding, commits (inside one and
    between the two of a batch), compaction, and SIGKILLs from outside at seeded times."""
    started = time.monotonic()
    rng = random.Random(20)
    # 16 new files and 2 changed ones a round: at 8 files a commit and a compaction every 2
    # commits (the driver's settings), every trigger below has something to hit.
    run = CrashRun(tmp_path, default_model, new_per_round=16)
    # Triggers in a seeded order ("none": SIGKILL from outside at a seeded time); a run that
    # ends before its trigger (it can: a kill leaves less work than planned) puts the trigger
    # back at the end of the queue.
    counts = {"extract": 3, "embed": 4, "commit": 4, "between": 3, "compaction": 3, "none": 3}
    triggers = [phase for phase, n in counts.items() for _ in range(n)]
    rng.shuffle(triggers)
    while triggers and run.tally.attempts < 30:
        if run.tally.attempts:
            run.add_work(rng)
        phase = triggers.pop(0)
        if phase == "extract":
            nth, delay = rng.randint(1, 12), rng.uniform(0.0, 0.2)
        elif phase == "embed":
            nth, delay = 1, rng.uniform(0.0, 1.5)
        elif phase == "between":
            nth, delay = rng.randint(1, 2), 0.0
        elif phase == "commit":
            nth, delay = rng.randint(1, 2), rng.uniform(0.05, 0.95)
        elif phase == "compaction":
            nth, delay = 1, rng.uniform(0.05, 0.95)
        else:
            nth, delay = 0, rng.uniform(4.0, 12.0)  # seconds after the start, from outside
        if not run.kill_round(phase, nth, delay):
            triggers.append(phase)
    tally = run.tally
    assert tally.kills == 20, tally
    assert tally.clean_restarts == 20 and tally.lost == 0 and tally.orphan_workers == 0
    # The kills must really have spread over the phases, or the test proves less than it says.
    for where in ("embedding", "commit", "compaction", "between commits"):
        assert tally.landed[where] >= 1, tally.landed
    summary = run.finish()
    tally.seconds = time.monotonic() - started
    record(
        "crash_safety",
        "Crash safety (SIGKILL while indexing)",
        "The indexing CLI was killed with SIGKILL at 20 seeded random points: on an extraction "
        "result, inside an embedding call, inside a LanceDB commit, between a batch's chunks "
        "commit and its manifest commit, inside a compaction (self-delivered from a timer "
        "thread so it lands inside the native call), and from outside at seeded times. Where "
        "each kill landed is read from the events the run logged. The folder grew by 16 files "
        "and 2 files changed before every run. After each kill the index was opened afresh "
        "(which finishes or drops a half-done batch from its journal) and checked; the last run "
        "used the plain CLI.",
        {
            "kills": tally.kills,
            "runs that finished before their trigger (retried)": tally.finished_before_trigger,
            "kills during extraction": tally.landed["extraction"] + tally.landed["start-up"],
            "kills during embedding": tally.landed["embedding"],
            "kills inside a LanceDB commit": tally.landed["commit"],
            "kills between a batch's two commits": tally.landed["between commits"],
            "kills inside a compaction": tally.landed["compaction"],
            "batches finished from the journal on restart": tally.rolled_forward,
            "batches dropped (nothing had landed)": tally.rolled_back,
            "restarts with doctor clean": tally.clean_restarts,
            "duplicate chunks": tally.duplicates,
            "indexed files lost": tally.lost,
            "killed runs that re-embedded nothing already stored": (
                tally.resumed_without_reembedding
            ),
            "extraction workers left running": tally.orphan_workers,
            "final run: files left alone (already committed)": summary["unchanged"],
            "final run: files indexed": summary["indexed"],
            "files in the end": len(run.files),
            "seconds": round(tally.seconds),
        },
    )
