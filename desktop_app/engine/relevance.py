"""Calibrated relevance: how well a hit matches, on one scale for every query, folder and model.

Ranks say which file is best for *this* query, never whether it is any good: the nonsense query
``qwzxvbnm`` has a top hit too. Raw cosine similarities do not help either, since each model
and each collection has its own typical level (MiniLM gives unrelated texts 0.0-0.2, other
models 0.6-0.8). So relevance combines three measurements, each made against a reference
rather than read off one model's numbers:

* **semantic standing**: how far the hit's similarity to the query stands above the mean
  similarity of a uniform sample of this index's chunks to the same query, in units of the
  model's own "says the same thing" gap (how far a paraphrase stands above unrelated
  sentences, measured on the built-in pairs of reference.py with the installed model). A
  folder of a few files is too small to be its own background, so it is topped up with the
  reference sentences;
* **keyword coverage**: the share of the query's content words the hit contains, by stem,
  each weighted by its rarity in the same sample (inverse document frequency);
* **known words**: the share of the query's content words the index contains at all (in the
  sample or in any candidate fetched). Random letters and questions about another subject
  score low here whatever their nearest neighbours look like.

A logistic function turns them into a number in [0, 1]; its four coefficients were fitted
once on the CACM test collection (docs/BENCHMARKS.md, "Relevance"). A hit that is nearly a
paraphrase of the query is relevant on meaning alone (a small folder's words rarely cover
a question asked in other words). A hit below the ``min_relevance`` setting (0.5) is *weak*.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop_app import paths
from desktop_app.engine import terms
from desktop_app.engine.reference import PARAPHRASES

if TYPE_CHECKING:
    from desktop_app.engine.embedder import Embedder
    from desktop_app.engine.store import Store

log = logging.getLogger(__name__)

#: Chunks drawn from the index as the background of every query.
SAMPLE_SIZE = 2000
#: An index sample smaller than this is topped up with the reference sentences.
MIN_OWN_BACKGROUND = 200
#: Re-sample once the index has grown or shrunk by this share since the last sample.
RESAMPLE_CHANGE = 0.25
#: Seconds between looks at the index's size.
CHECK_EVERY_S = 10.0
#: Floor of the paraphrase gap (a model that maps everything to one point has none).
MIN_GAP = 0.05
#: Logistic coefficients, fitted on CACM (see the module docstring).
BIAS = -7.5
STANDING_WEIGHT = 4.0
COVERAGE_WEIGHT = 2.0
KNOWN_WEIGHT = 6.5
#: A hit this close to being a paraphrase of the query (in paraphrase gaps; a paraphrase
#: stands at 1.0 by definition) is relevant on meaning alone, whatever words it shares, if
#: the query reads as language to the model (most of its words are one or two of the
#: model's tokens; random letters are not). In the CACM run no off-topic question came
#: within 0.57 of the level.
PARAPHRASE_LEVEL = 0.6
PARAPHRASE_SLOPE = 10.0
#: Longest a word may tokenize to and still count as a word the model reads.
WORD_TOKENS = 2

#: The sampled vocabulary (distinct stems) at which an index is expected to hold half of an
#: on-topic query's words; CACM's 2,000-chunk sample has about 6,000 stems (expected 0.95).
VOCABULARY_HALF = 350

#: Draws about ``n`` chunks uniformly from the index: (vectors, texts).
SampleFn = Callable[[int], tuple[np.ndarray, list[str]]]
#: Embeds texts as queries / as documents.
EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Reference:
    """The built-in sentences embedded with one model, and that model's paraphrase gap."""

    passages: np.ndarray
    gap: float


def measure_reference(embed_query: EmbedFn, embed_documents: EmbedFn) -> Reference:
    """Embed the reference pairs (first as queries, second as documents) and measure the gap:
    the median over pairs of (similarity to its paraphrase - mean similarity to the others)."""
    queries = unit_rows(embed_query([a for a, _ in PARAPHRASES]))
    passages = unit_rows(embed_documents([b for _, b in PARAPHRASES]))
    sims = queries @ passages.T
    pairs = np.diag(sims)
    others = (sims.sum(axis=1) - pairs) / (len(pairs) - 1)
    return Reference(passages, max(float(np.median(pairs - others)), MIN_GAP))


@dataclass(frozen=True)
class Background:
    """What a query is compared with: sampled chunk vectors, and stem counts of the sample."""

    vectors: np.ndarray
    doc_freq: Counter[str]
    size: int
    rows: int
    gap: float


def make_background(
    vectors: np.ndarray, texts: Sequence[str], rows: int, reference: Reference
) -> Background:
    doc_freq: Counter[str] = Counter()
    for text in texts:
        doc_freq.update(terms.text_stems(text))
    unit = unit_rows(vectors) if len(vectors) else reference.passages[:0]
    if len(unit) < MIN_OWN_BACKGROUND:
        unit = np.concatenate([unit, reference.passages])
    return Background(unit, doc_freq, len(texts), rows, reference.gap)


class BackgroundCache:
    """The background of one store, re-sampled only when the index changed size a lot (its
    size is looked up at most every ``CHECK_EVERY_S``: even a row count is a LanceDB query)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._background: Background | None = None
        self._checked = 0.0

    def get(
        self, rows: Callable[[], int], sample: SampleFn, reference: Callable[[], Reference]
    ) -> Background:
        with self._lock:
            current = self._background
            now = time.monotonic()
            if current is not None and now - self._checked < CHECK_EVERY_S:
                return current
            self._checked = now
            count = rows()
            if current is None or _changed(current.rows, count):
                vectors, texts = sample(SAMPLE_SIZE)
                current = make_background(vectors, texts, count, reference())
                self._background = current
            return current


def _changed(sampled: int, rows: int) -> bool:
    return abs(rows - sampled) > max(RESAMPLE_CHANGE * sampled, 20)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


class Judge:
    """Relevance of hits to one query, against the index's background."""

    def __init__(
        self, background: Background, query_vector: np.ndarray, query_terms: Sequence[str]
    ) -> None:
        self.query = unit_rows(query_vector.reshape(1, -1))[0]
        self.words = list(query_terms)
        self.mean = float(np.mean(background.vectors @ self.query))
        self.scale = background.gap
        self.background_size = background.size
        self.doc_freq = background.doc_freq
        size = max(background.size, 1)
        self.weights: dict[str, float] = {}
        for word in terms.content_terms(list(query_terms)):
            df = background.doc_freq.get(terms.stem(word), 0)
            self.weights[terms.stem(word)] = math.log(1 + (size - df + 0.5) / (df + 0.5))
        self.known = {s for s in self.weights if s in background.doc_freq}
        self._matcher = terms.StemMatcher(self.weights)
        self._present: dict[str, set[str]] = {}
        vocabulary = len(background.doc_freq)
        self.expected_known = max(vocabulary / (vocabulary + VOCABULARY_HALF), 0.05)
        #: Set for a query made of the index's own text ("more like this").
        self.assume_known = False
        #: Whether the query reads as language to the model (see ``PARAPHRASE_LEVEL``).
        self.readable = True

    def read_with(self, count_tokens: Callable[[str], int]) -> None:
        """Decide whether the query reads as language: most content words are short in the
        model's own tokens (a real word is one or two; ``qwzxvbnm`` is seven)."""
        words = [w for w in terms.content_terms(self.words) if not w.isdigit()]
        if words:
            short = sum(count_tokens(w) <= WORD_TOKENS for w in words)
            self.readable = short * 2 >= len(words)

    def observe(self, texts: Iterable[str]) -> None:
        """Count query words found in fetched candidates as known to the index (a sample
        of 2,000 chunks misses the rare words of a large index)."""
        missing = set(self.weights) - self.known
        for text in texts:
            if not missing:
                return
            found = missing & self.present(text)
            self.known |= found
            missing -= found

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row of ``vectors`` to the query."""
        if len(vectors) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(unit_rows(vectors) @ self.query, dtype=np.float32)

    def standing(self, similarity: float) -> float:
        """How far ``similarity`` stands above the background's mean, in paraphrase gaps."""
        return (similarity - self.mean) / self.scale

    def coverage(self, text: str) -> float:
        """The rarity-weighted share of the query's content words found in ``text``."""
        total = sum(self.weights.values())
        if total <= 0:
            return 0.0
        present = self.present(text)
        return sum(w for s, w in self.weights.items() if s in present) / total

    def present(self, text: str) -> set[str]:
        """The query's content stems found in ``text`` (remembered: a text is asked twice)."""
        found = self._present.get(text)
        if found is None:
            found = self._present[text] = self._matcher.present(text)
        return found

    def known_share(self) -> float:
        """The share of the query's content words the index contains at all, against the share
        an index of this vocabulary can be expected to hold (capped at 1): a folder of a few
        files lacks most words of any question, so a missing word says less there than in a
        collection of thousands of documents."""
        if self.assume_known:
            return 1.0
        if not self.weights:
            return 0.0
        return min(1.0, len(self.known) / len(self.weights) / self.expected_known)

    def relevance(self, similarity: float, text: str) -> float:
        standing = self.standing(similarity)
        evidence = (
            BIAS
            + STANDING_WEIGHT * standing
            + COVERAGE_WEIGHT * self.coverage(text)
            + KNOWN_WEIGHT * self.known_share()
        )
        if self.readable:
            evidence = max(evidence, PARAPHRASE_SLOPE * (standing - PARAPHRASE_LEVEL))
        return 1.0 / (1.0 + math.exp(-evidence))

    def distinctive_words(self, texts: Sequence[str], exclude: Sequence[str]) -> list[str]:
        """Words of ``texts`` most typical of them and rare in the index, best first (for
        pseudo-relevance feedback); words whose stem is in ``exclude`` are left out."""
        skip = terms.stems(exclude)
        counts: Counter[str] = Counter()
        forms: dict[str, str] = {}
        for text in texts:
            for match in terms.words(text):
                word = match.group().lower()
                if len(word) < 3 or word in terms.STOP_WORDS or word.isdigit():
                    continue
                root = terms.stem(word)
                if root not in skip:
                    counts[root] += 1
                    forms.setdefault(root, word)
        size = max(self.background_size, 1)
        scored = {
            root: count * math.log(1 + (size + 0.5) / (self.doc_freq.get(root, 0) + 0.5))
            for root, count in counts.items()
            if count > 1
        }
        return [forms[root] for root in sorted(scored, key=lambda r: -scored[r])]


#: The background sample of each open store (see relevance.BackgroundCache).
_BACKGROUNDS: weakref.WeakKeyDictionary[Store, BackgroundCache] = weakref.WeakKeyDictionary()
_BACKGROUNDS_LOCK = threading.Lock()
#: The reference sentences embedded with each model (model id -> Reference).
_REFERENCES: dict[str, Reference] = {}


def background(store: Store, embedder: Embedder) -> Background:
    """The store's background for relevance (sampled once, re-sampled as the index grows)."""
    with _BACKGROUNDS_LOCK:
        cache = _BACKGROUNDS.setdefault(store, BackgroundCache())
    return cache.get(store.count_chunks, store.sample, lambda: reference(embedder))


def reference(embedder: Embedder) -> Reference:
    """The reference sentences embedded with this model: once per model, kept in memory and
    in the cache folder (embedding them takes about half a second, which the first search of
    every session would otherwise pay)."""
    with _BACKGROUNDS_LOCK:
        found = _REFERENCES.get(embedder.model_id)
    if found is not None:
        return found
    cached = _reference_file(embedder.model_id)
    try:
        with np.load(cached) as saved:
            found = Reference(saved["passages"], float(saved["gap"]))
    except (OSError, ValueError, KeyError):
        found = measure_reference(
            lambda texts: np.stack([embedder.embed_query(t) for t in texts]),
            embedder.embed_documents,
        )
        try:
            paths.ensure_dir(cached.parent)
            temporary = cached.with_suffix(".tmp.npz")
            np.savez(temporary, passages=found.passages, gap=np.float64(found.gap))
            os.replace(temporary, cached)
        except OSError:
            log.warning("could not cache the relevance reference in %s", cached.parent)
    with _BACKGROUNDS_LOCK:
        _REFERENCES[embedder.model_id] = found
    return found


def _reference_file(model_id: str) -> Path:
    """The cache file of one model's reference, named by the sentences' digest (an edit of
    reference.py makes a new one)."""
    digest = hashlib.sha256(repr(PARAPHRASES).encode("utf-8")).hexdigest()[:12]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
    return paths.cache_dir() / "relevance" / f"{safe}-{digest}.npz"
