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
seeded random points over every phase and records the figures for docs/RELIABILITY.md. Every
intended kill must land, on a fast machine as on a slow one: a trigger is the nth of events its
run is certain to produce (counted from the run's plan, :func:`crash_helpers.guaranteed_events`)
and a timed kill has a deadline it cannot outlive (see :mod:`tests.reliability.crash_helpers`).
Timing triggers used to miss on a fast machine: a run finished before its kill, the figures
then counted fewer kills than they claimed, and the test failed.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop_app.engine.models import InstalledModel
from tests.reliability import crash_helpers as ch
from tests.reliability.figures import record

INITIAL_FILES = 24
CHANGED_PER_ROUND = 2


@dataclass
class Tally:
    """What the kill rounds did, for the assertions and the recorded figures."""

    kills: int = 0
    landed: Counter[str] = field(default_factory=Counter)
    at_deadline: int = 0
    restarts: ch.Restarts = field(default_factory=ch.Restarts)
    resumed_without_reembedding: int = 0
    orphan_workers: int = 0
    seconds: float = 0.0


class CrashRun:
    """A folder that grows and changes between rounds, so every round has work to kill."""

    def __init__(
        self, tmp_path: Path, model: InstalledModel, new_per_round: int, seed: int
    ) -> None:
        self.model = model
        self.new_per_round = new_per_round
        self.rng = random.Random(seed)
        self.root = tmp_path / "docs"
        self.home = tmp_path / "home"
        self.events = tmp_path / "events.log"
        self.files = ch.make_corpus(self.root, INITIAL_FILES)
        #: Files written since the last run: their text is stored nowhere, it must be embedded.
        self.fresh = {str(p) for p in self.files}
        self.versions: dict[int, int] = {}
        #: Expected durations for the driver's fractional delays, from the last run's events.
        self.durations = dict(ch.DEFAULT_DURATIONS)
        self.tally = Tally()
        ch.prepare_home(self.home)

    def add_work(self) -> None:
        """New files, and new content for a few files that were already indexed."""
        new = ch.make_corpus(self.root, self.new_per_round, start=len(self.files))
        self.files += new
        self.fresh.update(str(p) for p in new)
        for index in self.rng.sample(
            range(len(self.files) - self.new_per_round), CHANGED_PER_ROUND
        ):
            self.versions[index] = self.versions.get(index, 0) + 1
            self.fresh.add(str(ch.write_doc(self.root, index, self.versions[index])))

    def kill_round(self, phase: str, delay: float, nth: int | None = None) -> str:
        """One driver run killed at (phase, nth, delay), then the checks; where it landed.

        ``nth`` (drawn when not given) is at most the number of trigger events the run is
        certain to produce, counted from its plan, and every timed kill has a deadline: so
        the run must die by SIGKILL, and one that finishes fails the test.
        """
        tally = self.tally
        before = ch.read_state(self.home, self.model, self.root)
        assert self.fresh <= before.plan_to_index, "a file written since the last run is not due"
        guaranteed = ch.guaranteed_events(len(before.plan_to_index), len(self.fresh))
        nth = self.rng.randint(1, guaranteed[phase]) if nth is None else nth
        assert 1 <= nth <= guaranteed[phase], (phase, nth, guaranteed)
        argv = ch.driver_argv(self.home, self.root, self.events, phase, nth, delay, self.durations)
        run = ch.run_until_killed(
            argv, self.events, external=(nth, delay) if phase == "none" else None
        )
        self.fresh = set()
        self.durations.update(ch.measured_durations(run.events))
        tally.orphan_workers += run.orphans
        assert run.returncode == -signal.SIGKILL, (
            f"{phase} {nth}: exit {run.returncode}, not killed: {run.stderr[-2000:]}"
        )
        assert any(kind == "kill" for kind, _ in run.events), "killed, but not by the test"
        where = ch.landing(run.events)
        assert where != "after the run", (phase, nth, run.events[-5:])
        tally.kills += 1
        tally.landed[where] += 1
        tally.at_deadline += ch.at_deadline(run.events)

        after = tally.restarts.check(self.home, self.model, self.root, before, (phase, nth))
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
        return where

    def finish(self) -> dict[str, Any]:
        """The plain CLI, no hooks: it resumes, finishes, and the index is whole."""
        return ch.resume_to_the_end(self.home, self.model, self.root, self.files)


def test_sigkill_inside_commits_and_compaction_then_resume(
    tmp_path: Path, default_model: InstalledModel
) -> None:
    """Three kills at the points the timed kills of test_crash.py cannot hit: right between a
    batch's chunks commit and its manifest commit, inside a chunks commit, inside a
    compaction.

    Each is reachable whatever the machine's speed: the first run has 24 files (3 commits at
    least), the kill between commits leaves 16 or more of them and the second run adds 8, so
    it has 3 commits at least; the kill in its second commit leaves 8 or more, plus 8: 2
    commits at least, and so a compaction (kill_round asserts the counts).
    """
    started = time.monotonic()
    run = CrashRun(tmp_path, default_model, new_per_round=6, seed=8)
    schedule = [
        ("between", 1, 0.0),
        ("commit", 2, run.rng.uniform(0.1, 0.9)),
        ("compaction", 1, run.rng.uniform(0.1, 0.9)),
    ]
    for number, (phase, nth, delay) in enumerate(schedule):
        if number:
            run.add_work()
        run.kill_round(phase, delay, nth)
    tally = run.tally
    assert tally.kills == len(schedule)
    # The kill between the two commits leaves chunks without their manifest rows: opening
    # the index must have finished that batch from the journal.
    assert tally.restarts.rolled_forward >= 1
    for where in ("between commits", "commit", "compaction"):
        assert tally.landed[where] >= 1, tally.landed
    assert tally.orphan_workers == 0
    run.finish()
    assert time.monotonic() - started < 600


#: The soak's kills: how many of each phase ("none": SIGKILL from outside).
SOAK_KILLS = {"extract": 3, "embed": 4, "commit": 4, "between": 3, "compaction": 3, "none": 3}


@pytest.mark.soak
def test_twenty_sigkills_at_random_points(tmp_path: Path, default_model: InstalledModel) -> None:
    """20 kills at seeded random points over extraction, embedding, commits (inside one and
    between the two of a batch), compaction, and SIGKILLs from outside at seeded times.

    Every one must land: each trigger is the nth of events its run is certain to produce (n
    drawn up to their count) and each timed kill has a deadline, so the figures do not
    depend on how fast the machine is.
    """
    started = time.monotonic()
    # 16 new files and 2 changed ones a round: at 8 files a commit and a compaction every 2
    # commits (the driver's settings), every phase has several trigger events to choose from.
    run = CrashRun(tmp_path, default_model, new_per_round=16, seed=20)
    triggers = [phase for phase, n in SOAK_KILLS.items() for _ in range(n)]
    run.rng.shuffle(triggers)
    # Delays: seconds after an extraction result (self-delivered, or from outside), else a
    # fraction of the expected duration of the embedding call, commit or compaction.
    delays = {
        "extract": (0.0, 0.2),
        "embed": (0.05, 0.95),
        "commit": (0.05, 0.95),
        "between": (0.0, 0.0),
        "compaction": (0.05, 0.95),
        "none": (0.0, 1.5),
    }
    for number, phase in enumerate(triggers):
        if number:
            run.add_work()
        run.kill_round(phase, run.rng.uniform(*delays[phase]))
    tally = run.tally
    assert tally.kills == len(triggers) == 20, tally
    assert tally.restarts.clean == 20 and tally.restarts.lost == 0 and tally.orphan_workers == 0
    # The kills must really have spread over the phases, or the test proves less than it says.
    for where in ("embedding", "commit", "compaction", "between commits"):
        assert tally.landed[where] >= 1, tally.landed
    summary = run.finish()
    tally.seconds = time.monotonic() - started
    record(
        "crash_safety",
        "Crash safety (SIGKILL while indexing)",
        "The indexing CLI was killed with SIGKILL at 20 seeded random points: shortly after an "
        "extraction result, inside an embedding call, inside a LanceDB commit, between a batch's "
        "chunks commit and its manifest commit, inside a compaction (self-delivered from a timer "
        "thread so it lands inside the native call), and from outside at a seeded time after an "
        "extraction result. Each trigger was the nth of events the run was certain to produce (n "
        "drawn up to their count, from the files it had to index), and each kill had a deadline "
        "it could not outlive (the end of the operation it was aimed inside, or the commit of the "
        "file that triggered it), so every intended kill landed however fast the machine. Where "
        "each kill landed is read from the events the run logged. The folder grew by 16 files "
        "and 2 files changed before every run. After each kill the index was opened afresh "
        "(which finishes or drops a half-done batch from its journal) and checked; the last run "
        "used the plain CLI.",
        {
            "kills intended": len(triggers),
            "kills landed": tally.kills,
            "kills that came at their deadline (the operation ended before the timer)": (
                tally.at_deadline
            ),
            "kills during extraction": tally.landed["extraction"] + tally.landed["start-up"],
            "kills during embedding": tally.landed["embedding"],
            "kills inside a LanceDB commit": tally.landed["commit"],
            "kills between a batch's two commits": tally.landed["between commits"],
            "kills inside a compaction": tally.landed["compaction"],
            "batches finished from the journal on restart": tally.restarts.rolled_forward,
            "batches dropped (nothing had landed)": tally.restarts.rolled_back,
            "restarts with doctor clean": tally.restarts.clean,
            "duplicate chunks": tally.restarts.duplicates,
            "indexed files lost": tally.restarts.lost,
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
