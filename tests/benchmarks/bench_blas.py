"""The BLAS lever: llama-cpp-python rebuilt with ggml's OpenBLAS backend, against the app's build.

Not part of ``make bench``: the rebuild takes about 10 minutes of both cores, so it has its own
target, ``make bench-blas``. It needs OpenBLAS's headers (Debian: ``libopenblas-dev``). The
wheel is built once into ``.work/blas-wheel`` (pip's own cache would hand back the plain build,
its key ignores CMAKE_ARGS) and unpacked into ``.work/blas-pkg``, which a worker process puts
first on its path; the app's venv is never touched.

Variants, each in a fresh worker process, rounds interleaved so the machine's mood falls on all
of them alike: the app's build and default Embedder (F16, flash attention); the BLAS build with
F32 weights (ggml hands F32 matmuls straight to sgemm) and F16 weights (converted to F32 per
call); and the BLAS build with OpenMP's default spin-waiting, whose threads fight OpenBLAS's
own.

Usage: python -m tests.benchmarks.bench_blas [--rounds 3] [--chunks 60]
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

WHEEL_DIR = WORK / "blas-wheel"
PACKAGE_DIR = WORK / "blas-pkg"
CMAKE_ARGS = "-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS"
#: name -> (BLAS build?, weight type, extra environment)
VARIANTS: dict[str, tuple[bool, str, dict[str, str]]] = {
    "app build, F16 (default)": (False, "f16", {}),
    "BLAS build, F32, OpenMP passive wait": (True, "f32", {"OMP_WAIT_POLICY": "passive"}),
    "BLAS build, F16, OpenMP passive wait": (True, "f16", {"OMP_WAIT_POLICY": "passive"}),
    "BLAS build, F32, OpenMP spin wait": (True, "f32", {}),
}


def ensure_blas_build() -> float | None:
    """Build and unpack the BLAS wheel unless present; seconds spent building, or None."""
    if (PACKAGE_DIR / "llama_cpp").is_dir():
        return None
    import llama_cpp

    started = time.perf_counter()
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)
    if not list(WHEEL_DIR.glob("llama_cpp_python-*.whl")):
        print(
            f"building llama-cpp-python {llama_cpp.__version__} with {CMAKE_ARGS} ...", flush=True
        )
        subprocess.run(
            [
                sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir",
                "--no-binary", "llama-cpp-python", "-w", str(WHEEL_DIR),
                f"llama-cpp-python=={llama_cpp.__version__}",
            ],
            env={**os.environ, "CMAKE_ARGS": CMAKE_ARGS},
            check=True,
        )  # fmt: skip
    wheel = next(WHEEL_DIR.glob("llama_cpp_python-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(PACKAGE_DIR), str(wheel)],
        check=True,
    )  # fmt: skip
    if not list(PACKAGE_DIR.glob("llama_cpp/lib/libggml-blas.*")):
        raise SystemExit(f"{wheel.name} has no BLAS backend: is libopenblas-dev installed?")
    return time.perf_counter() - started


def worker(model: Path, passes: int, chunks: int) -> dict[str, Any]:
    """In the worker process: chunks/s of the Embedder over ``passes`` passes."""
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
        "blas": any(Path(llama_cpp.__file__).parent.glob("lib/libggml-blas.*")),
    }


def run_variant(name: str, files: dict[str, Path], passes: int, chunks: int) -> dict[str, Any]:
    blas, weights, extra = VARIANTS[name]
    env = {**os.environ, **extra}
    if blas:
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_DIR), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_blas", "--worker", str(files[weights]),
         str(passes), str(chunks)],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["blas"] != blas:
        raise SystemExit(f"{name}: the worker loaded the wrong llama.cpp build")
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
    build_s = ensure_blas_build()
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
        "blas",
        {
            "description": "ggml's OpenBLAS backend against the app's build, same Embedder",
            "cmake_args": CMAKE_ARGS,
            "chunks": args.chunks,
            "threads": 2,
            "rounds": args.rounds,
            "variants": rows,
            "build_s": round(build_s, 1) if build_s is not None else None,
            "run_s": round(time.perf_counter() - started, 1),
        },
    )
    for row in rows:
        print(f"{row['variant']:42} {row['chunks_per_s']:6} chunks/s  x{row['vs_default']}")


if __name__ == "__main__":
    main()
