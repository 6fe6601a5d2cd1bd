"""A damaged index is reported at start in one line with the fix, and ``doctor --repair``
rebuilds it from the files without touching the settings.

Four kinds of damage, each through the CLI and through the Engine: a deleted LanceDB data file,
a truncated one, a missing manifest (``files``) table, and a ``meta`` table written for another
model. "At start" means the first thing that opens the index (``status``, ``search``, the GUI's
start-up): not a Rust error in the middle of a search.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.engine.service import Engine
from desktop_app.engine.store import FILES, META, ModelMismatchError, StoreError
from desktop_app.settings import Settings
from tests.reliability import crash_helpers as ch
from tests.reliability.figures import record

FILES_COUNT = 6
#: Settings besides the folders that a repair must leave alone.
OTHER_SETTINGS = {"max_file_size_mb": 7, "exclude_patterns": ["*.bak"], "threads": 1}


def index_dir(home: Path) -> Path:
    (folder,) = (home / "data" / "index").iterdir()
    return folder


def largest_data_file(table: Path) -> Path:
    return max((table / "data").glob("*.lance"), key=lambda p: p.stat().st_size)


def delete_data_file(home: Path) -> None:
    largest_data_file(index_dir(home) / "chunks.lance").unlink()


def truncate_data_file(home: Path) -> None:
    path = largest_data_file(index_dir(home) / "chunks.lance")
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def remove_manifest_table(home: Path) -> None:
    shutil.rmtree(index_dir(home) / f"{FILES}.lance")


def meta_of_other_model(home: Path) -> None:
    import lancedb

    db = lancedb.connect(index_dir(home))
    rows = db.open_table(META).to_arrow().to_pylist()
    other = {"model_id": "nomic-embed-text-v1.5", "dimension": "768"}
    db.create_table(
        META,
        data=[{"key": r["key"], "value": other.get(r["key"], r["value"])} for r in rows],
        mode="overwrite",
    )


#: name -> (how to damage a home, words the one-line message must contain)
CASES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "deleted data file": (delete_data_file, ("damaged", "chunks", "is missing")),
    "truncated data file": (truncate_data_file, ("damaged", "chunks", "truncated")),
    "missing manifest table": (remove_manifest_table, ("damaged", "missing table files")),
    "meta of another model": (meta_of_other_model, ("nomic-embed-text-v1.5", "768")),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, default_model: InstalledModel) -> Path:
    """A data dir with a folder indexed and other settings set, copied for every case."""
    base = tmp_path_factory.mktemp("damaged")
    docs = base / "docs"
    ch.make_corpus(docs, FILES_COUNT)
    home = base / "home"
    paths.set_home(home)
    settings = Settings.load()
    for key, value in OTHER_SETTINGS.items():
        settings.set(key, value)
    settings.save()
    engine = Engine(Settings.load(), model=default_model)
    try:
        engine.add_folders([docs])
        summary = engine.index()
        assert summary.indexed == FILES_COUNT
    finally:
        engine.close()
        paths.set_home(None)
    return home


def fresh_copy(template: Path, where: Path) -> Path:
    shutil.copytree(template, where)
    return where


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("desktop-search: error:")]


def check_one_line_error(result: subprocess.CompletedProcess[str], words: tuple[str, ...]) -> str:
    """Exit 1 and one line naming the problem and the fix; no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    for word in (*words, "doctor --repair"):
        assert word in line, (word, line)
    return line


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ch.cli_argv(home, *args), capture_output=True, text=True, timeout=600, cwd=ch.REPO
    )


def test_damage_is_reported_at_start_and_repair_keeps_settings(
    tmp_path: Path, template: Path, default_model: InstalledModel
) -> None:
    started = time.monotonic()
    cli_detected = engine_detected = repaired = settings_kept = 0
    messages = {}
    for number, (name, (damage, words)) in enumerate(CASES.items()):
        # -- through the CLI ------------------------------------------------------------------
        home = fresh_copy(template, tmp_path / f"cli{number}")
        settings_before = (home / "config" / "settings.json").read_bytes()
        damage(home)
        line = check_one_line_error(run_cli(home, "status", "--json"), words)
        messages[name] = line.replace(str(index_dir(home)), "<index>")
        if number == 0:  # the same open as status; once is enough to show it
            check_one_line_error(run_cli(home, "search", "code0001"), words)
            plain = run_cli(home, "doctor")
            assert plain.returncode == 1 and all(w in plain.stdout for w in words), plain.stdout
        cli_detected += 1
        repair = run_cli(home, "doctor", "--repair", "--json")
        assert repair.returncode == 0, (name, repair.stderr[-2000:])
        report = json.loads(repair.stdout)
        assert report["ok"] and report["files"] == FILES_COUNT, (name, report)
        hits = json.loads(run_cli(home, "search", "code0003", "--json").stdout)["results"]
        assert hits and hits[0]["path"].endswith("doc0003.txt"), (name, hits[:1])
        assert (home / "config" / "settings.json").read_bytes() == settings_before, name
        repaired += 1
        settings_kept += 1

        # -- through the Engine ---------------------------------------------------------------
        home = fresh_copy(template, tmp_path / f"engine{number}")
        damage(home)
        paths.set_home(home)
        engine = Engine(Settings.load(), model=default_model)
        try:
            error = ModelMismatchError if name == "meta of another model" else StoreError
            with pytest.raises(error) as caught:
                engine.status()  # the first thing the GUI does once the engine is up
            text = str(caught.value)
            assert "\n" not in text and all(w in text for w in (*words, "doctor --repair"))
            engine_detected += 1
            report_ = engine.doctor(repair=True)
            assert report_.ok and report_.files == FILES_COUNT, (name, report_.problems)
            assert engine.search("code0002", limit=3).results[0].path.endswith("doc0002.txt")
            repaired += 1
        finally:
            engine.close()
        settings = Settings.load()
        assert len(settings["folders"]) == 1
        assert all(settings[key] == value for key, value in OTHER_SETTINGS.items()), name
        settings_kept += 1

    record(
        "damaged_store",
        "Damaged index: detected at start, rebuilt by doctor --repair",
        "Each kind of damage was made to a copy of an indexed data dir (6 files, a folder and "
        "three other settings), once for the CLI and once for the Engine. The first command "
        "(status, search) had to fail with exit 1 and one line naming the problem and "
        "'doctor --repair'; the repair had to bring back every file, searchable, with "
        "settings.json byte for byte unchanged.",
        {
            "kinds of damage": len(CASES),
            "detected at start through the CLI": cli_detected,
            "detected at start through the Engine": engine_detected,
            "repaired by doctor --repair (CLI and Engine)": repaired,
            "settings preserved": settings_kept,
            **{f"message: {name}": message for name, message in messages.items()},
            "seconds": round(time.monotonic() - started),
        },
    )
