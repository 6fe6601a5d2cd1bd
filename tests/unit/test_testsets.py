"""The quality benchmark's collection readers and metrics (tests/benchmarks/testsets.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.benchmarks import testsets


def test_smart_layout_is_read(tmp_path: Path) -> None:
    (tmp_path / "tiny.all").write_text(
        ".I 1\n.T\nFirst Title\n.W\nSome words\nover two lines.\n.B\nCACM 1960\n.A\nSomeone\n"
        ".I 2\n.T\nTitle Only\n.X\n1 5 1\n",
        encoding="latin-1",
    )
    (tmp_path / "query.text").write_text(
        '.I 1\n.W\n What about "exact words"?\n.N\n 1. someone\n.I 2\n.W\nUnjudged\n'
    )
    (tmp_path / "qrels.text").write_text("01 2  0 0\n01 1 0 0\n")
    collection = testsets.load(tmp_path)
    assert collection.docs == {
        "1": ("First Title", "Some words over two lines."),
        "2": ("Title Only", ""),
    }
    assert collection.queries == {"1": 'What about "exact words"?', "2": "Unjudged"}
    assert collection.qrels == {"1": {"1": 1, "2": 1}}


def test_beir_layout_is_read_with_graded_gains(tmp_path: Path) -> None:
    docs = [{"_id": "d1", "title": "T1", "text": "x"}, {"_id": "d2", "title": None, "text": "y"}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "find x"}) + "\n")
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t0\n"
    )
    collection = testsets.load(tmp_path)
    assert collection.docs == {"d1": ("T1", "x"), "d2": ("", "y")}
    assert collection.qrels == {"q1": {"d1": 2}}, "score 0 is not relevant"


def test_a_folder_of_neither_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="SMART"):
        testsets.load(tmp_path)


def test_metrics() -> None:
    gains = {"a": 1, "b": 1}
    assert testsets.ndcg_at(["a", "b", "c"], gains) == pytest.approx(1.0)
    assert testsets.ndcg_at(["c", "a"], gains) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert testsets.ndcg_at(["x"], {}) == 0.0
    assert testsets.recall_at(["a", "c"], gains) == 0.5
    assert testsets.ndcg_at(["b", "a"], {"a": 2, "b": 1}) < 1.0, "graded: the better one first"


def test_records_become_text_files_and_off_topic_queries_are_fixed(tmp_path: Path) -> None:
    collection = testsets.Collection("c", {"1/2": ("Title", "Body")}, {}, {})
    assert testsets.write_documents(collection, tmp_path) == 1
    assert (tmp_path / "1_2.txt").read_text() == "Title\n\nBody\n"
    assert testsets.nonsense_queries() == testsets.nonsense_queries()
    assert len(set(testsets.nonsense_queries())) == 50
    assert len(set(testsets.COOKING_QUESTIONS)) == 50


def test_files_map_back_to_record_ids(tmp_path: Path) -> None:
    collection = testsets.Collection("c", {"a/b:1": ("T", "x"), "7": ("U", "y")}, {}, {})
    testsets.write_documents(collection, tmp_path)
    assert sorted(collection.doc_of(str(p)) for p in tmp_path.iterdir()) == ["7", "a/b:1"]
