"""Sentence embeddings from a GGUF model through llama-cpp-python.

Why not ``Llama.embed``: it cuts long texts at the batch size and drops the closing ``[SEP]``,
so long chunks would not match sentence-transformers. Here the text is tokenized without special
tokens, cut to the model's window *minus* its special tokens, and the specials are put back,
exactly as sentence-transformers truncates. Several short texts are packed into one decode call
(each its own sequence) up to ``batch_tokens``; vectors come back L2-normalised float32.

Flash attention is on: llama-cpp-python switches it off unless asked, and without it ggml
computes attention as strided F32 dot products. With it, MiniLM embeds 20-35% more chunks per
second on CPU (docs/BENCHMARKS.md, "flash attention off" lever); K and V are then held in F16,
which moves vector components by about 1e-4 (cosine to the F32 path above 0.99999).

One :class:`Embedder` owns one llama.cpp context and is safe to call from several threads (a
lock serialises decodes). The engine keeps two: one for indexing, one for queries, so a search
never waits behind an indexing batch; the weights are memory-mapped once by the OS.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from desktop_app.engine.models import InstalledModel, ModelError, model_from_file

log = logging.getLogger(__name__)

#: Working memory a context needs beyond the weights (compute buffers, KV for one batch).
CONTEXT_OVERHEAD_BYTES = 128 * 1024 * 1024


class ModelLoadError(ModelError):
    """The model could not be loaded; the message names the file and the reason."""


def default_threads() -> int:
    """One thread per physical core: hyper-threads slow llama.cpp's matrix kernels down."""
    return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)


def query_threads(threads: int = 0) -> int:
    """Threads for the query context: half the indexing threads (one on two cores).

    Why: a hybrid search embeds the query while its keyword search already runs on another
    thread, and both want the cores. At 100K chunks on two cores, one query thread measured a
    hybrid p95 of 42.2 and 47.4 ms in two runs against 49.8 and 52.4 ms with two threads,
    interleaved, though the embedding alone takes 3 ms longer (docs/benchmarks/NOTES.md).
    """
    return max(1, (threads or default_threads()) // 2)


def check_memory(path: Path, contexts: int = 1) -> None:
    """Refuse to load a model that would not fit in the memory available right now."""
    needed = path.stat().st_size + contexts * CONTEXT_OVERHEAD_BYTES
    available = psutil.virtual_memory().available
    if needed > available:
        raise ModelLoadError(
            f"{path}: not enough memory to load the model (needs about {needed >> 20} MB, "
            f"{available >> 20} MB available)"
        )


class Embedder:
    """Embed documents and queries with one GGUF model in one llama.cpp context."""

    def __init__(
        self,
        model: InstalledModel | Path,
        *,
        threads: int = 0,
        batch_tokens: int = 0,
        flash_attention: bool = True,
    ) -> None:
        if isinstance(model, Path):
            model = model_from_file(model)
        self.model = model
        self.threads = threads or default_threads()
        self.batch_tokens = max(batch_tokens, model.window)
        self.flash_attention = flash_attention
        self._lock = threading.Lock()
        #: Tokenizations in progress (they run outside ``_lock``); close() waits for them.
        self._tokenizing = 0
        self._tokenizers_done = threading.Condition()
        self._closed = False
        self._llama = self._load(model.path)
        self._n_embd = int(self._llama.n_embd())
        if self._n_embd != model.dimension:
            raise ModelLoadError(
                f"{model.path}: llama.cpp reports dimension {self._n_embd}, "
                f"the metadata says {model.dimension}"
            )
        specials = self._llama.tokenize(b"", add_bos=True, special=False)
        self._head: list[int] = specials[:1]
        self._tail: list[int] = specials[1:]
        self._batch: Any = None

    # -- loading -----------------------------------------------------------------------------

    def _load(self, path: Path) -> Any:
        if not path.is_file():
            raise ModelLoadError(f"{path}: model file not found")
        check_memory(path)
        try:
            import llama_cpp
        except ImportError as exc:  # a broken install, not a user error, but say it plainly
            raise ModelLoadError(f"llama-cpp-python is not installed ({exc})") from exc
        try:
            return llama_cpp.Llama(
                model_path=str(path),
                embedding=True,
                n_ctx=self.batch_tokens,
                n_batch=self.batch_tokens,
                n_ubatch=self.batch_tokens,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                flash_attn=self.flash_attention,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(f"{path}: llama.cpp could not load the model ({exc})") from exc

    # -- properties --------------------------------------------------------------------------

    @property
    def model_id(self) -> str:
        return self.model.id

    @property
    def dimension(self) -> int:
        return self._n_embd

    @property
    def window(self) -> int:
        """Tokens per text, special tokens included (256 for MiniLM, as sentence-transformers)."""
        return self.model.window

    @property
    def max_text_tokens(self) -> int:
        """Tokens of document text (prefix included) that fit in the window with the specials."""
        return self.window - len(self._head) - len(self._tail)

    # -- tokens ------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """The model's tokens for ``text``, without special tokens.

        Not under the lock: llama.cpp's tokenizer only reads the vocabulary, so chunking can
        count tokens while a decode runs.
        """
        if not text:
            return []
        with self._tokenizers_done:
            if self._closed:
                raise RuntimeError("the embedder is closed")
            self._tokenizing += 1
            llama = self._llama
        try:
            tokens: list[int] = llama.tokenize(
                text.encode("utf-8", "replace"), add_bos=False, special=False
            )
        finally:
            with self._tokenizers_done:
                self._tokenizing -= 1
                self._tokenizers_done.notify_all()
        return tokens

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` is, without prefix or special tokens (for chunking)."""
        return len(self.tokenize(text))

    def _sequence(self, text: str) -> list[int]:
        body = self.tokenize(text)[: self.max_text_tokens]
        return self._head + body + self._tail

    # -- embedding ---------------------------------------------------------------------------

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for document chunks (document prefix applied), shape ``(n, dimension)``."""
        prefix = self.model.document_prefix
        return self._embed([prefix + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one search query (query prefix applied), shape ``(dimension,)``."""
        result: np.ndarray = self._embed([self.model.query_prefix + text])[0]
        return result

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._n_embd), dtype=np.float32)
        if not texts:
            return out
        sequences = [self._sequence(t) for t in texts]
        group: list[int] = []
        used = 0
        for index, tokens in enumerate(sequences):
            if group and used + len(tokens) > self.batch_tokens:
                self._decode(group, sequences, out)
                group, used = [], 0
            group.append(index)
            used += len(tokens)
        self._decode(group, sequences, out)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _decode(self, group: list[int], sequences: list[list[int]], out: np.ndarray) -> None:
        """Run one llama.cpp decode with each text of ``group`` as its own sequence."""
        import llama_cpp

        with self._lock:
            if self._llama is None:
                raise RuntimeError("the embedder is closed")
            if self._batch is None:
                self._batch = llama_cpp.llama_batch_init(self.batch_tokens, 0, self.batch_tokens)
            batch = self._batch
            k = 0
            for seq_id, index in enumerate(group):
                for pos, token in enumerate(sequences[index]):
                    batch.token[k] = token
                    batch.pos[k] = pos
                    batch.n_seq_id[k] = 1
                    batch.seq_id[k][0] = seq_id
                    batch.logits[k] = True
                    k += 1
            batch.n_tokens = k
            ctx = self._llama.ctx
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
            status = llama_cpp.llama_decode(ctx, batch)
            if status != 0:
                raise RuntimeError(f"llama_decode failed with status {status}")
            for seq_id, index in enumerate(group):
                pointer = llama_cpp.llama_get_embeddings_seq(ctx, seq_id)
                if not pointer:
                    raise RuntimeError("llama.cpp returned no pooled embedding")
                array = ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float * self._n_embd))
                out[index] = np.ctypeslib.as_array(array.contents)

    def close(self) -> None:
        """Free the context and the batch; the object cannot be used afterwards.

        Waits for the decode and the tokenizations in progress on other threads: freeing the
        model under them would be a use after free (a crash, or worse, at quit). A call made
        after close raises RuntimeError instead of touching freed memory. Idempotent.
        """
        with self._lock:  # no decode runs from here on
            with self._tokenizers_done:
                self._closed = True
                while self._tokenizing:
                    self._tokenizers_done.wait()
            if self._batch is not None:
                import llama_cpp

                llama_cpp.llama_batch_free(self._batch)
                self._batch = None
            llama = getattr(self, "_llama", None)
            if llama is not None:
                llama.close()
                self._llama = None

    def __enter__(self) -> Embedder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
