"""The embedder on the real converted all-MiniLM-L6-v2: matches sentence-transformers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from desktop_app.engine import embedder as embedder_module
from desktop_app.engine.convert import convert_checkpoint
from desktop_app.engine.embedder import Embedder, ModelLoadError
from desktop_app.engine.models import InstalledModel, ModelError
from desktop_app.engine.service import Engine
from tests.conftest import DATA_DIR
from tests.helpers.checkpoints import write_chat_gguf, write_tiny_bert


@pytest.fixture(scope="module")
def embedder(default_model: InstalledModel) -> Iterator[Embedder]:
    with Embedder(default_model, threads=2) as emb:
        yield emb


def _reference() -> dict[str, object]:
    """sentence-transformers' own vectors for 12 texts (how they were made: tests/data/README)."""
    data: dict[str, object] = json.loads(
        (DATA_DIR / "all-MiniLM-L6-v2.sentence-transformers.json").read_text(encoding="utf-8")
    )
    return data


def test_matches_sentence_transformers_reference(embedder: Embedder) -> None:
    reference = _reference()
    items = reference["items"]
    assert isinstance(items, list) and len(items) == 12
    texts = [item["text"] for item in items]
    expected = np.array([item["vector"] for item in items], dtype=np.float32)
    got = embedder.embed_documents(texts)
    assert got.shape == (12, 384) and got.dtype == np.float32
    cosines = np.sum(got * expected, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() >= 0.999, dict(zip(texts, cosines.round(5), strict=True))
    # one at a time (the query path) gives the same vectors as the batched path
    for text, vector in zip(texts, got, strict=True):
        assert float(embedder.embed_query(text) @ vector) > 0.99999


def test_reference_covers_the_hard_cases(embedder: Embedder) -> None:
    texts = [item["text"] for item in _reference()["items"]]  # type: ignore[index]
    assert "" in texts
    assert any(not t.isascii() for t in texts)
    assert max(embedder.count_tokens(t) for t in texts) > 256


def test_vectors_are_normalised(embedder: Embedder) -> None:
    vectors = embedder.embed_documents(["one", "two words", "x" * 5000, ""])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(vectors))


def test_paraphrases_score_higher_than_unrelated(embedder: Embedder) -> None:
    pairs = [
        (
            "How do I reset my password?",
            "Steps to change a forgotten login password",
            "The recipe needs two cups of flour",
        ),
        (
            "The invoice is due at the end of the month",
            "Payment of the bill is expected in 30 days",
            "Penguins live in the southern hemisphere",
        ),
        (
            "A dog is running in the park",
            "A puppy sprints across the grass",
            "Quarterly revenue grew by four percent",
        ),
        (
            "Meeting moved to Thursday afternoon",
            "We rescheduled the meeting for Thursday at 3pm",
            "The kernel panicked during boot",
        ),
    ]
    for anchor, paraphrase, unrelated in pairs:
        a, p, u = embedder.embed_documents([anchor, paraphrase, unrelated])
        assert float(a @ p) > float(a @ u) + 0.2, (anchor, float(a @ p), float(a @ u))


def test_long_text_is_cut_to_the_window_not_an_error(embedder: Embedder) -> None:
    words = "alpha beta gamma delta " * 400
    assert embedder.count_tokens(words) > 1000
    assert embedder.max_text_tokens == 254
    long_vec = embedder.embed_query(words)
    cut_vec = embedder.embed_query(" ".join(words.split()[:254]))
    assert float(long_vec @ cut_vec) > 0.9999


def test_batched_equals_single(embedder: Embedder) -> None:
    texts = [f"document number {i} about topic {i % 3}" for i in range(20)]
    batched = embedder.embed_documents(texts)
    single = np.stack([embedder.embed_documents([t])[0] for t in texts])
    # Flash attention keeps K and V in F16, so packing changes the rounding (about 1e-4),
    # never the meaning: the same vector to well within what ranking can see.
    assert np.allclose(batched, single, atol=1e-3)
    assert float(np.min(np.sum(batched * single, axis=1))) > 0.99999


def test_prefixes_are_applied(default_model: InstalledModel) -> None:
    from dataclasses import replace

    prefixed = replace(
        default_model, document_prefix="search_document: ", query_prefix="search_query: "
    )
    with Embedder(prefixed, threads=1) as emb, Embedder(default_model, threads=1) as plain:
        assert np.allclose(
            emb.embed_documents(["hello"])[0],
            plain.embed_documents(["search_document: hello"])[0],
            atol=1e-5,
        )
        assert np.allclose(
            emb.embed_query("hello"), plain.embed_query("search_query: hello"), atol=1e-5
        )


def test_converted_tiny_model_loads(tmp_path: Path) -> None:
    path = convert_checkpoint(
        write_tiny_bert(tmp_path / "t", pooling="cls"), tmp_path / "t.gguf"
    ).path
    with Embedder(path, threads=1) as emb:
        assert emb.dimension == 32
        vectors = emb.embed_documents(["the cat sat on the mat", "hello world"])
        assert vectors.shape == (2, 32)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_load_errors_are_clear(tmp_path: Path, default_model: InstalledModel) -> None:
    with pytest.raises(ModelError, match="cannot read"):
        Embedder(tmp_path / "missing.gguf")
    text = tmp_path / "text.gguf"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF"):
        Embedder(text)
    with pytest.raises(ModelError, match="text-generation"):
        Embedder(write_chat_gguf(tmp_path / "chat.gguf"))


def test_not_enough_memory_is_refused_before_loading(
    monkeypatch: pytest.MonkeyPatch, default_model: InstalledModel
) -> None:
    """A fake memory reading at the psutil boundary: 10 MB available."""
    monkeypatch.setattr(
        embedder_module.psutil,
        "virtual_memory",
        lambda: SimpleNamespace(available=10 * 1024 * 1024),
    )
    with pytest.raises(ModelLoadError, match="not enough memory"):
        Embedder(default_model)


@pytest.mark.parametrize(("threads", "expected"), [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_query_context_takes_half_the_threads(threads: int, expected: int) -> None:
    """The keyword search runs beside the query embedding and needs the other half."""
    assert embedder_module.query_threads(threads) == expected


def test_engine_query_context_uses_query_threads(engine: Engine) -> None:
    engine.settings.set("threads", 4)
    assert engine.query_embedder.threads == 2
    assert engine.index_embedder.threads == 4
