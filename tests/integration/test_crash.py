"""Crash safety: SIGKILL an indexing process at several moments; the next run ends clean."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.records import STATUS_INDEXED
from desktop_app.engine.service import Engine
from desktop_app.settings import Settings

FILES = 60
WORDS = [
    "amber",
    "basalt",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kelp",
    "lagoon",
    "meadow",
    "nickel",
    "obsidian",
    "prairie",
    "quartz",
]


def make_files(root: Path) -> dict[Path, str]:
    rng = random.Random(7)
    root.mkdir()
    phrases = {}
    for i in range(FILES):
        phrase = f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7 + 3) % len(WORDS)]} code{i:03d}"
        body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(120)) + "." for _ in range(2))
        path = root / f"doc{i:03d}.txt"
        path.write_text(f"{phrase}.\n\n{body}\n")
        phrases[path] = phrase
    return phrases


def index_command(home: Path, root: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "desktop_app",
        "--data-dir",
        str(home),
        "index",
        str(root),
        "--json",
    ]


def committed(home: Path) -> int:
    """Manifest rows committed so far, read from outside the indexing process."""
    import lancedb

    try:
        index = home / "data" / "index" / "all-MiniLM-L6-v2"
        return int(lancedb.connect(index).open_table("files").count_rows())
    except Exception:  # not created yet
        return 0


def test_sigkill_at_several_points_then_resume(
    tmp_path: Path, default_model: InstalledModel
) -> None:
    root = tmp_path / "docs"
    phrases = make_files(root)
    home = tmp_path / "home"
    rng = random.Random(11)
    committed_counts = []
    # (wait for a new commit first?, then delay): during start-up, right after a commit,
    # a moment after a commit (mid-embedding), and at a random moment.
    for after_commit, delay in (
        (False, 1.0),
        (True, 0.0),
        (True, 0.7),
        (False, rng.uniform(2.0, 6.0)),
    ):
        start_count = committed(home)
        process = subprocess.Popen(
            index_command(home, root), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        if after_commit:
            deadline = time.monotonic() + 120
            while committed(home) == start_count and process.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        paths.set_home(home)
        engine = Engine(Settings.load(), model=default_model)
        try:
            committed_counts.append(len(engine.store.manifest()))
            report = engine.store.doctor()
            assert report.ok, report.problems  # consistent after every kill
        finally:
            engine.close()

    before_final = committed_counts[-1] if committed_counts else 0
    final = subprocess.run(
        index_command(home, root), capture_output=True, text=True, check=True, timeout=600
    )
    summary = json.loads(final.stdout)
    assert summary["indexed"] + summary["unchanged"] == FILES
    assert summary["unchanged"] >= before_final  # finished files are not embedded again

    paths.set_home(home)
    engine = Engine(Settings.load(), model=default_model)
    try:
        report = engine.store.doctor()
        assert report.ok, report.problems
        manifest = engine.store.manifest()
        assert sorted(manifest) == sorted(str(p) for p in phrases)
        assert all(r.status == STATUS_INDEXED for r in manifest.values())
        assert report.chunks == sum(r.chunk_count for r in manifest.values())
        for path in phrases:
            rows = engine.store.rows_for_paths([str(path)], ["chunk_index"])
            indexes = sorted(rows.column("chunk_index").to_pylist())
            assert indexes == list(range(manifest[str(path)].chunk_count))  # each chunk once
        for path in list(phrases)[::12]:
            passage = path.read_text()[:300]
            assert engine.search(passage, limit=3).results[0].path == str(path)
    finally:
        engine.close()
    assert any(0 < n < FILES for n in committed_counts), committed_counts
