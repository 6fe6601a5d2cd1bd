"""Honest relevance: calibrated scores and weak matches, phrases and exclusions that never empty
a search silently, and questions answered although they share few words with the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.engine.service import Engine


def index_texts(engine: Engine, root: Path, texts: dict[str, str]) -> None:
    for name, text in texts.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text + "\n")
    engine.add_folders([root])
    assert engine.index().indexed == len(texts)


def test_nonsense_is_weak_and_a_real_match_is_strong(labelled: tuple[Engine, Path]) -> None:
    engine, root = labelled
    nonsense = engine.search("qwzxvbnm").results
    assert nonsense, "the search still answers, with weak matches"
    assert all(hit.weak and 0.0 <= hit.relevance < 0.5 for hit in nonsense)
    found = engine.search("E7731").results
    assert found[0].path == str(root / "tech/e7731.txt")
    assert not found[0].weak and found[0].relevance > 0.8
    paraphrase = engine.search("cat sleeping on a carpet").results
    assert paraphrase[0].path == str(root / "animals/cat.txt") and not paraphrase[0].weak
    for hits in (nonsense, found, paraphrase):
        weak = [hit.weak for hit in hits]
        assert weak == sorted(weak), "strong results come before weak ones"


def test_min_relevance_is_a_setting(labelled: tuple[Engine, Path]) -> None:
    engine, _ = labelled
    engine.settings.set("min_relevance", 0.0)
    assert not any(hit.weak for hit in engine.search("qwzxvbnm").results)
    engine.settings.set("min_relevance", 1.0)
    assert all(hit.weak for hit in engine.search("E7731").results)


def test_json_carries_relevance_weak_and_notes(labelled: tuple[Engine, Path]) -> None:
    engine, _ = labelled
    payload = engine.search('"purple elephant"').as_json()
    assert payload["results"]
    for result in payload["results"]:
        assert 0.0 <= result["relevance"] <= 1.0 and isinstance(result["weak"], bool)
    assert any("purple elephant" in note for note in payload["notes"])


def test_a_phrase_that_matches_nothing_falls_back_with_a_note(
    labelled: tuple[Engine, Path],
) -> None:
    engine, _ = labelled
    response = engine.search('"purple elephant invoice"')
    assert response.results, "never an empty list when the words alone would answer"
    assert response.notes == [
        "No file matched the phrase “purple elephant invoice”; "
        "showing results without that condition."
    ]
    strict = engine.search('"research group"')  # a phrase that matches still filters
    assert {Path(hit.path).parent.name for hit in strict.results} == {"people"}
    assert strict.notes == []


def test_an_exclusion_that_leaves_nothing_falls_back_with_a_note(
    engine: Engine, tmp_path: Path
) -> None:
    index_texts(
        engine,
        tmp_path / "reports",
        {
            "q1.txt": "Quarterly report: sales rose in the first quarter.",
            "q2.txt": "Quarterly report: costs fell in the second quarter.",
        },
    )
    response = engine.search("quarterly sales -report")
    assert response.results and response.results[0].path.endswith("q1.txt")
    assert response.notes == [
        "No file matched without “report”; showing results without that condition."
    ]
    assert engine.search("quarterly sales -costs").notes == []


def test_a_phrase_quoted_inside_a_question_ranks_instead_of_filtering(
    engine: Engine, tmp_path: Path
) -> None:
    root = tmp_path / "papers"
    index_texts(
        engine,
        root,
        {
            "formatting.txt": "Interactive text formatting systems: editors that show the page "
            "as it will be printed, compared with batch formatters such as nroff and Scribe.",
            "compilers.txt": "Code generation and register allocation in optimizing compilers.",
            "sorting.txt": "A comparison of sorting algorithms on magnetic tape files.",
        },
    )
    query = 'Articles on text formatting systems, including "what you see is what you get" ones'
    response = engine.search(query)
    assert response.results[0].path == str(root / "formatting.txt")
    assert response.notes == []


def test_a_question_finds_the_passage_that_answers_it(engine: Engine, tmp_path: Path) -> None:
    """The example of the issue: the old coverage gate (half of the question's content words)
    dropped the tenancy agreement from the keyword list, and with it from the top 10."""
    root = tmp_path / "household"
    texts = {
        "tenancy agreement.txt": "The landlord is responsible for keeping the boiler, the "
        "radiators and the hot water system in repair and proper working order.",
        "car insurance.txt": "The policy holder must report any accident within 7 days.",
        "recipes.txt": "Fixing a broken sauce: whisk in a spoon of cold water.",
        "gym.txt": "Members are responsible for wiping down equipment after use.",
    }
    texts |= {
        f"notes/note{i}.txt": f"Meeting note {i}: budget review, action items." for i in range(8)
    }
    index_texts(engine, root, texts)
    paths = [hit.path for hit in engine.search("who is responsible for fixing the heating").results]
    assert str(root / "tenancy agreement.txt") in paths[:2], paths


def test_highlights_mark_the_words_that_matched(engine: Engine, tmp_path: Path) -> None:
    root = tmp_path / "coast"
    index_texts(
        engine,
        root,
        {"coast.txt": "In the low season the sea is calm; the seas rise in winter storms."},
    )
    hit = engine.search("sea").results[0]
    marked = [hit.snippet[a:b] for a, b in hit.highlights]
    assert marked == ["sea", "seas"]
    passage = hit.passages[0]
    assert [passage.text[a:b] for a, b in passage.highlights] == ["sea", "seas"]


def test_the_reference_is_measured_once_per_model_and_cached(
    labelled: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop_app import paths
    from desktop_app.engine import relevance

    engine, _ = labelled
    monkeypatch.setattr(relevance, "_REFERENCES", {})
    engine.search("E7731")
    (cached,) = (paths.cache_dir() / "relevance").glob("*.npz")
    first = relevance._REFERENCES[engine.query_embedder.model_id]
    assert 0.05 <= first.gap <= 1.0 and first.passages.shape[0] == 40

    monkeypatch.setattr(relevance, "_REFERENCES", {})
    measured: list[int] = []
    monkeypatch.setattr(
        relevance,
        "measure_reference",
        lambda *a: measured.append(1) or first,
    )
    assert relevance.reference(engine.query_embedder).gap == pytest.approx(first.gap)
    assert measured == [], "read back from the cache file, not measured again"

    cached.write_bytes(b"not a numpy file")
    monkeypatch.setattr(relevance, "_REFERENCES", {})
    assert relevance.reference(engine.query_embedder).gap == pytest.approx(first.gap)
    assert measured == [1], "a damaged cache file is measured again"
