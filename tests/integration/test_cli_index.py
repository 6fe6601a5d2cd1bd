"""CLI over the index: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app import paths
from desktop_app.cli import main
from desktop_app.engine.models import InstalledModel


@pytest.fixture
def docs(tmp_path: Path, default_model: InstalledModel) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "cats.txt").write_text("Cats purr and chase mice around the barn.\n")
    (root / "rockets.md").write_text("# Rockets\n\nA rocket engine burns fuel to reach orbit.\n")
    (root / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_search_status_doctor(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "index", str(docs), "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["indexed"], summary["failed"], summary["unchanged"]) == (2, 1, 0)
    assert summary["chunks"] == 2 and summary["seconds"] >= 0

    code, out, _ = run(capsys, "search", "space travel", "--json", "--limit", "1")
    result = json.loads(out)
    assert code == 0 and result["query"] == "space travel" and result["took_ms"] > 0
    (hit,) = result["results"]
    assert hit["path"] == str(docs / "rockets.md")
    assert {"path", "score", "snippet", "page", "chunk_index", "passages"} <= set(hit)

    queries = docs.parent / "queries.txt"
    queries.write_text("kittens\n\nrocket fuel\n")
    code, out, _ = run(capsys, "search", "--queries", str(queries))
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["query"] for line in lines] == ["kittens", "rocket fuel"]
    assert lines[0]["results"][0]["path"] == str(docs / "cats.txt")

    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)
    assert status["files"] == {"indexed": 2, "failed": 1, "skipped": 0, "truncated": 0}
    assert status["folders"][0]["path"] == str(docs)
    assert status["failures"][0]["reason"] == "corrupt"

    code, out, _ = run(capsys, "doctor", "--json")
    assert code == 0 and json.loads(out)["ok"] is True

    code, out, _ = run(capsys, "index", str(docs))
    assert code == 0 and "indexed 0, unchanged 3" in out


def test_doctor_repair(
    docs: Path, capsys: pytest.CaptureFixture[str], default_model: InstalledModel
) -> None:
    assert run(capsys, "index", str(docs))[0] == 0
    import lancedb

    db = lancedb.connect(paths.index_dir() / default_model.id)
    db.open_table("chunks").delete(f"path = '{docs / 'cats.txt'}'")
    code, out, _ = run(capsys, "doctor")
    assert code == 1 and "inconsistent" in out and "cats.txt" in out
    code, out, _ = run(capsys, "doctor", "--repair", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert report["actions"] == ["re-indexed 1 file whose index entries were inconsistent"]
    code, out, _ = run(capsys, "search", "kittens", "--json", "--limit", "1")
    assert json.loads(out)["results"][0]["path"] == str(docs / "cats.txt")


def test_damaged_index_is_explained_and_rebuilt(
    docs: Path, capsys: pytest.CaptureFixture[str], default_model: InstalledModel
) -> None:
    import shutil

    assert run(capsys, "index", str(docs))[0] == 0
    shutil.rmtree(paths.index_dir() / default_model.id / "files.lance")
    code, _, err = run(capsys, "search", "cats")
    assert code == 1 and "damaged" in err and "doctor --repair" in err
    code, out, _ = run(capsys, "doctor", "--repair")
    assert code == 0
    assert "repaired: rebuilt the index from your files (a table was missing)" in out
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["files"]["indexed"] == 2
    assert json.loads(out)["folders"][0]["path"] == str(docs)  # settings survived


def test_folders_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    assert run(capsys, "folders", "add", str(tmp_path / "a"))[0] == 0
    _, out, _ = run(capsys, "folders", "list")
    assert out.splitlines() == [str(tmp_path / "a")]
    assert run(capsys, "folders", "remove", str(tmp_path / "a"))[0] == 0
    assert run(capsys, "folders", "list")[1] == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "/no/such/folder"], "no such folder"),
        (["search", "   "], "query is empty"),
        (["search"], "give a QUERY"),
        (["folders", "remove", "/not/indexed"], "not an indexed folder"),
        (["watch"], "no folders to watch"),
    ],
)
def test_errors_are_one_line(
    args: list[str], message: str, default_model: InstalledModel, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_no_model_installed(
    docs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(paths, "bundled_models_dir", lambda: Path("/nonexistent"))
    code, _, err = run(capsys, "index", str(docs))
    assert code == 1 and "install-default" in err and err.count("\n") == 1


def test_index_that_crosses_the_exact_search_threshold_exits_cleanly(
    tmp_path: Path, default_model: InstalledModel, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only big folders reach the foreground ANN build at the end of ``index``; it used to
    exit 2 ("cannot join thread before it is started") after committing everything."""
    from desktop_app.engine.store.indexes import ANN_THRESHOLD_ROWS

    root = tmp_path / "many"
    root.mkdir()
    count = ANN_THRESHOLD_ROWS + 20
    for i in range(count):  # one short, distinct chunk per file: quick to embed
        (root / f"n{i:05d}.txt").write_text(f"note {i} mentions item{i} and code{i * 7}\n")
    code, out, err = run(capsys, "index", str(root), "--json")
    assert code == 0, err
    assert "building the vector index" in err
    assert json.loads(out)["chunks"] == count
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["chunks"] == count
    code, out, _ = run(capsys, "search", "item4321", "--json", "--mode", "keyword")
    assert json.loads(out)["results"][0]["path"] == str(root / "n04321.txt")
    from desktop_app.engine.service import Engine

    engine = Engine(model=default_model)
    try:
        assert engine.store.has_vector_index  # the build landed before the exit
    finally:
        engine.close()


def test_json_output_escapes_names_that_are_not_utf8(
    tmp_path: Path, default_model: InstalledModel, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON carries a name that is not UTF-8 as ``\\xNN`` escapes in ``path`` plus its exact
    bytes in ``path_b64`` (the documented escape); text output shows the escapes."""
    import base64
    import os

    root = tmp_path / "usb"
    root.mkdir()
    raw = os.fsencode(root) + b"/r\xe9sum\xe9.txt"
    with open(raw, "wb") as fh:
        fh.write(b"Curriculum vitae: ten years of glassblowing7 experience.\n")
    code, out, _ = run(capsys, "index", str(root), "--json")
    assert code == 0 and json.loads(out)["indexed"] == 1
    code, out, _ = run(capsys, "search", "glassblowing7", "--json")
    (hit,) = json.loads(out)["results"]
    assert hit["path"] == str(root) + "/r\\xe9sum\\xe9.txt"
    assert base64.b64decode(hit["path_b64"]) == raw
    code, out, _ = run(capsys, "search", "glassblowing7")
    assert f"{root}/r\\xe9sum\\xe9.txt" in out
    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["files"]["indexed"] == 1
