"""Shared benchmark plumbing: machine facts, timing, and writing results.

Each benchmark writes ``docs/benchmarks/<name>.json`` (machine-readable, comparable across runs)
and prints a table; ``report.py`` turns the JSON files into docs/BENCHMARKS.md. Benchmarks are
not part of ``make test``: this machine is shared and noisy, so numbers are medians of repeated
runs and comparisons are made within one run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import psutil

RESULTS_DIR = Path(__file__).resolve().parents[2] / "docs" / "benchmarks"


def machine() -> dict[str, Any]:
    import lancedb
    import llama_cpp

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": platform.processor() or platform.machine(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "lancedb": lancedb.__version__,
        "llama_cpp_python": llama_cpp.__version__,
    }


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(float(np.percentile(samples_ms, 95)), 2),
        "n": len(samples_ms),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    return path


def clustered_vectors(
    n: int, dim: int, seed: int, latent: int = 48, topics: int = 2000
) -> np.ndarray:
    """Synthetic embeddings shaped like real ones: low intrinsic dimension, topic clusters.

    Isotropic random vectors are a worst case no real corpus resembles (every neighbour is
    nearly equidistant); sentence embeddings live near a low-dimensional, clustered manifold.
    """
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(12345).normal(size=(latent, dim)).astype(np.float32)
    centers = np.random.default_rng(54321).normal(size=(topics, latent)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        z = centers[rng.integers(0, topics, m)] + 0.7 * rng.normal(size=(m, latent))
        x = z.astype(np.float32) @ basis + 0.5 * rng.normal(size=(m, dim)).astype(np.float32)
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out
