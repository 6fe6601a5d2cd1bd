"""Search: hybrid beats both retrievers, syntax and filters, passages, similar files."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from desktop_app.engine.query import Filters
from desktop_app.engine.search import SearchError
from desktop_app.engine.service import Engine
from tests.helpers.labelled import QUERIES, ndcg_at_10


def mean_ndcg(engine: Engine, root: Path, mode: str) -> float:
    scores = []
    for query, relevant in QUERIES:
        paths = [h.path for h in engine.search(query, limit=10, mode=mode).results]
        scores.append(ndcg_at_10(paths, str(root / relevant)))
    return sum(scores) / len(scores)


def test_hybrid_beats_vector_and_keyword(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    scores = {mode: mean_ndcg(engine, root, mode) for mode in ("hybrid", "vector", "keyword")}
    assert scores["hybrid"] > scores["vector"], scores
    assert scores["hybrid"] > scores["keyword"], scores
    assert scores["hybrid"] >= 0.9, scores


def test_phrase_exclusion_and_filters(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    hits = engine.search('"research group"').results
    assert {Path(h.path).parent.name for h in hits} == {"people"}
    hits = engine.search('"research group" -Okafor -Meyer').results
    assert [h.path for h in hits] == [str(root / "people/zhao.txt")]
    hits = engine.search("backup in:tech").results
    assert {Path(h.path).parent.name for h in hits} == {"tech"}
    assert engine.search("invoice ext:md").results == []
    flags = Filters(folders=[str(root / "finance")])
    assert {Path(h.path).parent.name for h in engine.search("due", filters=flags).results} == {
        "finance"
    }
    old = root / "travel/japan.txt"
    os.utime(old, (time.time(), 946_684_800))  # 2000-01-01
    engine.index()
    hits = engine.search("trip before:2001").results
    assert [h.path for h in hits] == [str(old)]
    assert str(old) not in [h.path for h in engine.search("trip after:2001").results]
    only_filters = engine.search("in:animals").results
    assert {Path(h.path).name for h in only_filters} == {"cat.txt", "dog.txt", "geese.txt"}


def test_passages_and_highlights(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    (root / "long.txt").write_text(
        "\n\n".join(
            f"Paragraph {i} about gardening: tomatoes need sun and water. " * 12 for i in range(8)
        )
    )
    engine.index()
    hit = next(h for h in engine.search("tomatoes sun").results if h.path.endswith("long.txt"))
    assert 1 < len(hit.passages) <= 3
    assert hit.size == (root / "long.txt").stat().st_size and hit.modified > 0
    marked = {hit.snippet[a:b].lower() for a, b in hit.highlights}
    assert {"tomatoes", "sun"} <= marked
    for passage in hit.passages:
        source = (root / "long.txt").read_text()
        assert source[passage.char_start : passage.char_end] == passage.text
        assert {passage.text[a:b].lower() for a, b in passage.highlights} >= {"tomatoes"}


def test_more_like_this(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    similar = [h.path for h in engine.similar(root / "finance/inv-20931.txt", limit=3).results]
    assert str(root / "finance/inv-20931.txt") not in similar
    assert all("/finance/" in p for p in similar), similar
    with pytest.raises(SearchError, match="not in the index"):
        engine.similar(root / "nope.txt")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!,.;", "no words"),
        ("after:someday x", "expects a date"),
    ],
)
def test_bad_queries_are_explained(labelled: tuple[Engine, Path], query: str, message: str) -> None:
    engine, _ = labelled
    with pytest.raises(SearchError, match=message):
        engine.search(query)


def test_odd_queries_still_answer(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    huge = ("invoice chairs " * 700)[:10_000]
    assert engine.search(huge).results[0].path == str(root / "finance/inv-77812.txt")
    response = engine.search('"Quillon')
    assert response.results[0].path == str(root / "people/zhao.txt")
    assert response.notes == ["an unmatched quote was ignored"]
    response = engine.search("color:blue Okafor")
    assert response.results[0].path == str(root / "people/okafor.txt")
    assert "unknown filter" in response.notes[0]
    with pytest.raises(SearchError, match="mode"):
        engine.search("x", mode="fuzzy")


def test_search_while_indexing_never_sees_half_a_file(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()

    def write(version: int) -> None:
        for i in range(6):
            paragraphs = [
                f"Version {version} of report {i}, part {p}: harbour cranes lift containers. " * 14
                for p in range(2)
            ]
            (root / f"r{i}.txt").write_text("\n\n".join(paragraphs))

    write(1)
    engine.add_folders([root])
    engine.index()
    errors: list[BaseException] = []
    mixed: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                for hit in engine.search("harbour cranes containers", limit=20).results:
                    versions = {p.text.split()[1] for p in hit.passages}
                    if len(versions) > 1:
                        mixed.append(hit.path)
            except BaseException as exc:  # any error fails the test below
                errors.append(exc)
                return

    searcher = threading.Thread(target=hammer)
    searcher.start()
    for version in (2, 3):
        write(version)
        engine.index()
    stop.set()
    searcher.join()
    assert not errors and not mixed
