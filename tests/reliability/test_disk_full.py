"""Disk full during indexing: the run stops with a clear "disk full" line, the index stays
whole, and the next run after space returns finishes with nothing lost.

The disk is real: the data dir (settings, logs, index) lives on a small tmpfs mounted for the
test, filled by a filler file to a chosen number of free bytes, so ENOSPC comes from the kernel
in whatever write LanceDB happens to be doing. Without the right to mount (not root), the test
runs again inside a user and mount namespace of its own (``unshare``), where it may mount; it
fails, never skips, where neither works. A third test raises ENOSPC at the LanceDB commit
boundary instead (both halves of a batch, including the delicate one between its two commits).
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.engine.store import DiskFullError
from desktop_app.settings import Settings
from tests.reliability import crash_helpers as ch
from tests.reliability.figures import record

DISK_BYTES = 16 * 1024 * 1024
FIRST_FILES = 12
NEW_PER_ROUND = 8


#: Set inside the namespace re-run; set to "force" to take the namespace path even as root.
NAMESPACE_ENV = "DS_DISK_FULL_NAMESPACE"
REAL_FILESYSTEM_TEST = "test_disk_full_on_a_real_filesystem_then_resume"


@pytest.fixture
def small_disk(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path | None]:
    """A 16 MB tmpfs, unmounted afterwards.

    None means the test could not mount here and has already run, and passed, in a namespace
    of its own: the test then has nothing left to do.
    """
    mount_point = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount_point.mkdir()
    namespace = os.environ.get(NAMESPACE_ENV)
    result = None
    if namespace != "force":
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
        )
    if result is None or result.returncode != 0:
        if namespace == "inside":
            pytest.fail(f"cannot mount a tmpfs even in a user namespace: {result}")
        run_in_own_namespace(request.node.nodeid, tmp_path / "namespace")
        yield None
        return
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def run_in_own_namespace(nodeid: str, base: Path) -> None:
    """Run one test again as "root" of a new user and mount namespace, where it may mount.

    Its temporary files go under ``base``: as "root" it would otherwise pick pytest's
    ``/tmp/pytest-of-root``, which is not the developer's.
    """
    unshare = shutil.which("unshare")
    assert unshare, "no right to mount a tmpfs, and no unshare(1) to get one in a namespace"
    namespace = [unshare, "--user", "--map-root-user", "--mount"]
    pytest_args = ["-q", "-p", "no:cacheprovider", "-m", "", "--basetemp", str(base), nodeid]
    done = subprocess.run(
        [*namespace, sys.executable, "-m", "pytest", *pytest_args],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ch.REPO,
        env={**os.environ, NAMESPACE_ENV: "inside"},
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert re.search(r"\b1 passed\b", done.stdout) and "skipped" not in done.stdout, done.stdout


def fill(disk: Path, leave: int) -> Path:
    """Take all the space of ``disk`` but ``leave`` bytes with a filler file."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as fh:
        try:
            fh.write(b"\0" * max(0, free - leave))
        except OSError as exc:  # tmpfs rounds to pages: the last one may not fit
            assert exc.errno == errno.ENOSPC
    return filler


class FullDiskRun:
    """The CLI indexing a folder into a data dir on a small disk, round after round."""

    def __init__(self, tmp_path: Path, disk: Path, model: InstalledModel) -> None:
        self.model = model
        self.home = disk / "home"
        self.root = tmp_path / "docs"
        self.disk = disk
        self.files = ch.make_corpus(self.root, FIRST_FILES)
        ch.prepare_home(self.home)
        first = self.index()
        assert first.returncode == 0, first.stderr[-2000:]
        self.failures = self.fitted = self.resumed = 0
        self.restarts = ch.Restarts()
        #: Which write ran out of space ("record the next write", "write 12 files", ...).
        self.failed_writes: Counter[str] = Counter()
        self.message = ""

    def index(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ch.cli_argv(self.home, "index", str(self.root), "--json"),
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ch.REPO,
        )

    def round(self, leave: int) -> None:
        """New files, a disk with ``leave`` bytes free, an index run, then the checks: while
        full (the index still opens and answers), and once the space is back (doctor clean,
        nothing lost, no duplicates); a stopped run is run again and must finish."""
        self.files += ch.make_corpus(self.root, NEW_PER_ROUND, start=len(self.files))
        before = ch.read_state(self.home, self.model)
        filler = fill(self.disk, leave)
        result = self.index()
        if result.returncode == 0:
            self.fitted += 1
        else:
            assert result.returncode == 1, result.stderr[-2000:]  # not an internal error (2)
            assert "Traceback" not in result.stderr
            lines = [s for s in result.stderr.splitlines() if s.startswith("desktop-search:")]
            assert len(lines) == 1 and lines[0].startswith("desktop-search: error: disk full"), (
                result.stderr[-2000:]
            )
            assert "free some space" in lines[0]
            what = re.search(r"could not (.+?) in the index at", lines[0])
            assert what, lines[0]
            self.failed_writes[re.sub(r"\d+ files", "N files", what.group(1))] += 1
            self.message = self.message or lines[0]
            self.failures += 1
        status = subprocess.run(
            ch.cli_argv(self.home, "status", "--json"), capture_output=True, text=True
        )
        assert status.returncode == 0, status.stderr[-2000:]  # still readable while full
        assert json.loads(status.stdout)["files"]["indexed"] >= len(before.manifest)
        filler.unlink()
        self.restarts.check(self.home, self.model, self.root, before, f"{leave} bytes free")
        if result.returncode != 0:
            self.finish()
            self.resumed += 1

    def finish(self) -> dict[str, Any]:
        """Space is back: the next run resumes and finishes; the index is complete."""
        before = ch.read_state(self.home, self.model, self.root)
        done = ch.committed_current(before, self.files)
        result = self.index()
        assert result.returncode == 0, result.stderr[-2000:]
        summary: dict[str, Any] = json.loads(result.stdout)
        assert summary["unchanged"] == done
        assert summary["indexed"] == len(self.files) - done
        state = ch.read_state(self.home, self.model, self.root)
        assert state.doctor_problems == [] and state.plan_to_index == set()
        assert sorted(state.manifest) == sorted(str(p) for p in self.files)
        ch.assert_no_duplicates(state)
        return summary


def test_disk_full_on_a_real_filesystem_then_resume(
    tmp_path: Path, small_disk: Path | None, default_model: InstalledModel
) -> None:
    """No space at all for the next batch: it stops with 'disk full', the index is intact, and
    the run after space returns finishes."""
    if small_disk is None:  # ran, and passed, in a namespace of its own
        return
    run = FullDiskRun(tmp_path, small_disk, default_model)
    run.round(leave=0)
    assert run.failures == 1 and run.resumed == 1


def test_without_the_right_to_mount_it_runs_in_a_namespace(tmp_path: Path) -> None:
    """The path a developer who is not root takes (here root takes the direct mount)."""
    test = f"{Path(__file__).relative_to(ch.REPO)}::{REAL_FILESYSTEM_TEST}"
    run_in_own_namespace(test, tmp_path / "namespace")


@pytest.mark.soak
def test_disk_full_at_many_levels_then_resume(
    tmp_path: Path, small_disk: Path | None, default_model: InstalledModel
) -> None:
    """Seeded free-space levels from nothing to about what a batch needs, so ENOSPC lands in
    the different writes of a batch: the journal, the chunks commit, the manifest commit
    (after the chunks landed: the journal must finish that batch once space is back)."""
    if small_disk is None:  # ran, and passed, in a namespace of its own
        return
    started = time.monotonic()
    rng = random.Random(28)
    run = FullDiskRun(tmp_path, small_disk, default_model)
    # A batch of 8-16 one-chunk files needs some 10-40 KB: levels around that put ENOSPC in
    # every write of a batch, the journal, the chunks commit, the manifest commit, a compaction.
    levels = [0, *rng.sample(range(2048, 49152, 1024), 9)]
    for leave in levels:
        run.round(leave)
    assert run.failures >= 2 and run.resumed == run.failures, (run.failures, run.fitted)
    assert len(run.failed_writes) >= 2, run.failed_writes  # more than one kind of write
    record(
        "disk_full",
        "Disk full while indexing (real filesystem)",
        "The data dir lived on a 16 MB tmpfs; before each of 10 runs, 8 new files were added "
        "and a filler file left a seeded number of bytes free (0 to 48 KB), so ENOSPC came "
        "from the kernel in whichever write needed the space. After each run the filler was "
        "removed, the index opened afresh and checked, and a stopped run was run again.",
        {
            "runs on a nearly full disk": len(levels),
            "runs stopped by 'disk full'": run.failures,
            "runs that fitted": run.fitted,
            "batches finished from the journal once space returned": run.restarts.rolled_forward,
            "index consistent after (doctor clean)": run.restarts.clean,
            "stopped runs resumed and finished once space returned": run.resumed,
            "indexed files lost": run.restarts.lost,
            "duplicate chunks": run.restarts.duplicates,
            **{f"failed write: {what}": n for what, n in sorted(run.failed_writes.items())},
            "message": run.message.replace(str(small_disk), "<disk>"),
            "files in the end (all indexed, doctor clean)": len(run.files),
            "seconds": round(time.monotonic() - started),
        },
    )


def test_disk_full_at_each_commit_of_a_batch(
    tmp_path: Path, default_model: InstalledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Portable (no mount): ENOSPC raised by LanceDB's commit of the chunks, then of the
    manifest (after the chunks landed: the journal must finish that batch). Either way the
    run stops with DiskFullError and the next run completes the index."""
    from lancedb.table import LanceTable

    root = tmp_path / "docs"
    files = ch.make_corpus(root, 10)
    home = tmp_path / "home"
    ch.prepare_home(home)
    merge = LanceTable._do_merge
    failing = {"table": ""}

    def do_merge(table: Any, *args: Any, **kw: Any) -> Any:
        if table.name == failing["table"]:
            raise RuntimeError(
                "lance error: LanceError(IO): No space left on device (os error 28), "
                "/rustc/x/library/core/src/result.rs:1:1"
            )
        return merge(table, *args, **kw)

    monkeypatch.setattr(LanceTable, "_do_merge", do_merge)
    engine = Engine(Settings.load(), model=default_model)
    try:
        engine.add_folders([root])
        for table in ("chunks", "files"):
            files += ch.make_corpus(root, 4, start=len(files))
            failing["table"] = table
            with pytest.raises(DiskFullError, match=r"^disk full: could not write \d+ files"):
                engine.index()
            failing["table"] = ""
            # What a restart (or doctor) sees: a batch cut between its commits is finished.
            report = engine.store.doctor()
            assert report.ok, report.problems
            if table == "files":
                assert engine.store.recovered == "rolled forward"
        summary = engine.index()
        assert summary.indexed + summary.unchanged == len(files)
        assert engine.store.doctor().ok
        assert sorted(engine.store.manifest()) == sorted(str(p) for p in files)
    finally:
        engine.close()
        paths.set_home(None)
