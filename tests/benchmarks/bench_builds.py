"""Build-option levers: llama-cpp-python rebuilt with other ggml options, against the app's build.

Not part of ``make bench``: each rebuild takes about 10 minutes of both cores, so they have
their own target, ``make bench-builds``. The builds:

* ``blas``: ggml's OpenBLAS backend (needs OpenBLAS's headers; Debian: ``libopenblas-dev``),
  which hands large matmuls to sgemm;
* ``no-openmp``: ggml's own thread pool instead of OpenMP's, whose barriers spin.

Each wheel is built once into ``.work/build-<name>/wheel`` (pip's own cache would hand back the
plain build: its key ignores CMAKE_ARGS) and unpacked next to it; a worker process puts that
folder first on its path, so the app's venv is never touched.

Variants, each in a fresh worker process, rounds interleaved so the machine's mood falls on all
of them alike. For BLAS, F32 weights go straight to sgemm while F16 ones are converted per call,
and OpenMP's spin-waiting threads fight OpenBLAS's own, so both are shown.

Usage: python -m tests.benchmarks.bench_builds [--rounds 3] [--chunks 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_embedding import CHUNKS_FILE, WORK, gguf_files
from tests.benchmarks.common import write_result

#: build name -> CMAKE_ARGS
BUILDS = {
    "blas": "-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS",
    "no-openmp": "-DGGML_OPENMP=OFF",
}
#: variant -> (build, or None for the app's own; weight type; extra environment)
VARIANTS: dict[str, tuple[str | None, str, dict[str, str]]] = {
    "app build, F16 (default)": (None, "f16", {}),
    "BLAS build, F32, OpenMP passive wait": ("blas", "f32", {"OMP_WAIT_POLICY": "passive"}),
    "BLAS build, F16, OpenMP passive wait": ("blas", "f16", {"OMP_WAIT_POLICY": "passive"}),
    "BLAS build, F32, OpenMP spin wait": ("blas", "f32", {}),
    "ggml thread pool instead of OpenMP, F16": ("no-openmp", "f16", {}),
}


def package_dir(build: str) -> Path:
    return WORK / f"build-{build}" / "pkg"


def ensure_build(build: str) -> float | None:
    """Build and unpack one wheel unless present; seconds spent building, or None."""
    target = package_dir(build)
    if (target / "llama_cpp").is_dir():
        return None
    import llama_cpp

    started = time.perf_counter()
    wheel_dir = target.parent / "wheel"
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmake_args = BUILDS[build]
    if not list(wheel_dir.glob("llama_cpp_python-*.whl")):
        print(f"building llama-cpp-python {llama_cpp.__version__}: {cmake_args} ...", flush=True)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir",
                "--no-binary", "llama-cpp-python", "-w", str(wheel_dir),
                f"llama-cpp-python=={llama_cpp.__version__}",
            ],
            env={**os.environ, "CMAKE_ARGS": cmake_args},
            check=True,
        )  # fmt: skip
    wheel = next(wheel_dir.glob("llama_cpp_python-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    if build == "blas" and not list(target.glob("llama_cpp/lib/libggml-blas.*")):
        raise SystemExit(f"{wheel.name} has no BLAS backend: is libopenblas-dev installed?")
    return time.perf_counter() - started


def worker(model: Path, passes: int, chunks: int) -> dict[str, Any]:
    """In the worker process: chunks/s of the Embedder over ``passes`` passes, and which
    llama.cpp package it loaded, so a variant cannot silently run the wrong build."""
    import llama_cpp

    from desktop_app.engine.embedder import Embedder

    texts = json.loads(CHUNKS_FILE.read_text())[:chunks]
    with Embedder(model, threads=2) as embedder:
        embedder.embed_documents(texts[:4])  # warm-up
        rates = []
        for _ in range(passes):
            started = time.perf_counter()
            embedder.embed_documents(texts)
            rates.append(len(texts) / (time.perf_counter() - started))
    return {
        "rates": rates,
        "package": str(Path(llama_cpp.__file__).parent.parent),
    }


def run_variant(name: str, files: dict[str, Path], passes: int, chunks: int) -> dict[str, Any]:
    build, weights, extra = VARIANTS[name]
    env = {**os.environ, **extra}
    if build:
        env["PYTHONPATH"] = os.pathsep.join([str(package_dir(build)), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_builds", "--worker", str(files[weights]),
         str(passes), str(chunks)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    expected = package_dir(build) if build else None
    if (Path(result["package"]) == expected) != bool(build):
        raise SystemExit(f"{name}: the worker loaded the wrong llama.cpp ({result['package']})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=60)
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "PASSES", "CHUNKS"))
    args = parser.parse_args()
    if args.worker:
        model, passes, chunks = args.worker
        print(json.dumps(worker(Path(model), int(passes), int(chunks))))
        return
    started = time.perf_counter()
    build_s = {build: ensure_build(build) for build in BUILDS}
    files = gguf_files()
    if not CHUNKS_FILE.exists():
        raise SystemExit(f"{CHUNKS_FILE} is missing: run bench_embedding first")
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for round_no in range(args.rounds):
        for name in VARIANTS:
            rates[name] += run_variant(name, files, 2, args.chunks)["rates"]
            print(f"  round {round_no + 1} {name}: {rates[name][-2:]}", flush=True)
    default = statistics.median(rates[next(iter(VARIANTS))])
    rows = [
        {
            "variant": name,
            "chunks_per_s": round(statistics.median(values), 2),
            "vs_default": round(statistics.median(values) / default, 3),
            "passes_chunks_per_s": [round(v, 2) for v in values],
        }
        for name, values in rates.items()
    ]
    write_result(
        "builds",
        {
            "description": "llama-cpp-python built with other ggml options, same Embedder",
            "builds": BUILDS,
            "chunks": args.chunks,
            "threads": 2,
            "rounds": args.rounds,
            "variants": rows,
            "build_s": {k: None if v is None else round(v, 1) for k, v in build_s.items()},
            "run_s": round(time.perf_counter() - started, 1),
        },
    )
    for row in rows:
        print(f"{row['variant']:42} {row['chunks_per_s']:6} chunks/s  x{row['vs_default']}")


if __name__ == "__main__":
    main()
