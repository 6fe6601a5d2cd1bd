"""Regenerate docs/BENCHMARKS.md from the JSON results in docs/benchmarks/.

Usage: python -m tests.benchmarks.report
"""

from __future__ import annotations

import json
from typing import Any

from tests.benchmarks.common import RESULTS_DIR
from tests.benchmarks.report_ocr import ocr
from tests.benchmarks.report_quality import quality

OUT = RESULTS_DIR.parent / "BENCHMARKS.md"


def _machine(m: dict[str, Any]) -> str:
    return (
        f"{m['date']}; {m['cores_physical']} physical / {m['cores_logical']} logical cores "
        f"({m['cpu']}), {m['memory_gb']} GB; Python {m['python']}, LanceDB {m['lancedb']}, "
        f"llama-cpp-python {m['llama_cpp_python']}"
    )


def _search(data: dict[str, Any]) -> list[str]:
    targets = data["targets"]
    lines = [
        "## Search latency and ANN recall",
        "",
        f"Run: {_machine(data['machine'])}. `python -m tests.benchmarks.bench_search`.",
        "",
        "End-to-end hybrid query (embedding in the query context, vector + BM25 overlapped, "
        "fusion, grouping, snippets), 10 results; synthetic clustered vectors with word-salad "
        "text. Vector-only rows are the LanceDB vector search alone (10 results). The numpy "
        "baseline is an exact brute force over the same vectors held in memory.",
        "",
        "| chunks | hybrid p50 / p95 (exact) | hybrid p50 / p95 (ANN) | target p95 | "
        "vector exact p50 | vector ANN p50 | numpy brute force p50 | ANN recall@10 (target) "
        "| ANN build |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["results"]:
        n = r["chunks"]
        target = {100_000: targets["p95_ms_at_100k"], 1_000_000: targets["p95_ms_at_1m"]}.get(n)
        ann = r.get("hybrid_ann")
        lines.append(
            f"| {n:,} | {r['hybrid_exact']['p50_ms']} / {r['hybrid_exact']['p95_ms']} ms | "
            + (f"{ann['p50_ms']} / {ann['p95_ms']} ms" if ann else "n/a")
            + " | "
            + (f"<= {target} ms" if target else "-")
            + " | "
            f"{r['vector_exact']['p50_ms']} ms | "
            + (f"{r['vector_ann']['p50_ms']} ms" if ann else "n/a")
            + " | "
            f"{r['numpy_bruteforce']['p50_ms']} ms | "
            + (f"{r['ann_recall_at_10']} (>= {targets['recall_at_10']})" if ann else "n/a")
            + " | "
            + (f"{r['ann_build_s']} s" if ann else "n/a")
            + " |"
        )
    return lines


def _embedding(data: dict[str, Any]) -> list[str]:
    """Ours against the peer side by side, then every lever with its speed and fidelity."""
    targets = data["targets"]
    versions = data["versions"]
    lines = [
        "## Embedding throughput",
        "",
        f"Run: {_machine(data['machine'])}. `python -m tests.benchmarks.bench_embedding`.",
        "",
        f"all-MiniLM-L6-v2 on {data['chunks']} chunks of Python's documentation "
        f"(`pydoc_data.topics`, cut by the app's chunker; {data['mean_tokens']} tokens on "
        f"average), {data['threads']} threads on both sides, median of the "
        f"{data.get('rounds_clean', data['rounds'])} clean rounds of "
        f"{data.get('rounds_run', data['rounds'])} interleaved ones (clean: other processes "
        "took at most 10% of the CPU; a round that was not is retaken). "
        "Ours: the app's `Embedder` (llama-cpp-python, GGUF F16, flash attention: its default "
        f"settings). Peer: sentence-transformers {versions['sentence_transformers']} on torch "
        f"{versions['torch']} (batch size {data.get('peer_batch_size')}), in its own venv. "
        "Useful GFLOP/s counts only the matmuls MiniLM needs for the real token counts "
        f"({data['gflop_per_chunk']} GFLOP per chunk); the ceiling is numpy sgemm at the same "
        f"thread count, {data['sgemm_gflops']} GFLOP/s at 2048^3 "
        f"({data['sgemm_gflops_minilm_shape']} GFLOP/s at MiniLM's 256x384x1536).",
        "",
        "| | target | measured (ours) | peer |",
        "|---|---|---|---|",
        f"| chunks/s | - | {data['ours_chunks_per_s']} | {data['peer_chunks_per_s']} |",
        f"| ratio ours/peer | >= {targets['ratio']} | {data['ratio']} | 1 |",
        f"| useful GFLOP/s | - | {data['ours_gflops']} | {data['peer_gflops']} |",
        f"| fraction of sgemm | - | {data['ours_fraction_of_sgemm']} | "
        f"{data['peer_fraction_of_sgemm']} |",
        f"| mean cosine ours vs peer (min) | >= {targets['cosine_vs_peer']} | "
        f"{data['cosine_ours_vs_peer_mean']} ({data['cosine_ours_vs_peer_min']}) | - |",
        f"| chunks/s per round | - | {', '.join(map(str, data['ours_rounds_chunks_per_s']))} | "
        f"{', '.join(map(str, data['peer_rounds_chunks_per_s']))} |",
        "| CPU share other processes took, per round | - | "
        f"{', '.join(map(str, data.get('ours_rounds_others_cpu', [])))} | "
        f"{', '.join(map(str, data.get('peer_rounds_others_cpu', [])))} |",
        "",
        f"Levers of our side, {data['lever_chunks']} of the chunks, median of "
        f"{data['lever_passes']} interleaved passes; cosine against the stored "
        "sentence-transformers reference vectors (`shared/reference/`, target "
        f">= {targets['cosine_vs_reference']}). The machine is shared: the last column is the "
        "share of its CPU other processes took while the lever ran (llama.cpp's threads stall "
        "badly when another job takes a core).",
        "",
        "| lever | weights | threads | batch_tokens | sorted | chunks/s | vs default "
        "| cosine vs reference mean (min) | other processes' CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["levers"]:
        lines.append(
            f"| {row['lever']} | {row['weights']} | {row['threads']} | {row['batch_tokens']} | "
            f"{'yes' if row['length_sorted'] else 'no'} | {row['chunks_per_s']} | "
            f"{row['vs_default']} | {row['cosine_vs_reference_mean']} "
            f"({row['cosine_vs_reference_min']}) | {row.get('others_cpu_mean', '-')} |"
        )
    lines += [
        "",
        f"Run time {data['run_s']} s, of which {data.get('quiet_wait_s', 0)} s checking (and "
        "waiting) that other processes had left the CPU before each sample; 1-min load "
        "average before / after "
        f"{data.get('load_average_1min')}.",
    ]
    return lines


def _raw_slices(raw: dict[str, Any]) -> str:
    """How the raw rate was taken: one timing, or the median of slices around pass 2."""
    slices = raw.get("slices_chunks_per_s")
    if not slices:
        return ", timed once after pass 1"
    return (
        f", timed in {len(slices)} slices, half after each pass (median; slices "
        f"{min(slices)}-{max(slices)} chunks/s); the overhead compares the two passes' mean"
    )


def _indexing(data: dict[str, Any]) -> list[str]:
    """Indexing, rescan, memory, watcher latency and start-up: target beside measured."""
    t = data["targets"]
    first, second, raw = data["first_pass"], data["second_pass"], data["raw_embedding"]
    rescan, watch, start = data["rescan"], data["change_to_searchable"], data["startup"]
    corpus = data["corpus"]
    kinds = ", ".join(f"{n} {k}" for k, n in corpus["by_type"].items())
    return [
        "## Indexing, rescan, memory, watcher, start-up",
        "",
        f"Run: {_machine(data['machine'])}. `python -m tests.benchmarks.bench_indexing`.",
        "",
        f"Generated corpus of {corpus['files']:,} files ({kinds}; "
        f"{corpus['bytes'] / 2**20:.0f} MiB of real prose), {first['chunks']:,} chunks of "
        f"{data['mean_chunk_chars']} characters on average, default settings and model. The raw "
        f"embedder runs on {raw['chunks']:,} of the same chunks (a fixed random sample) in the "
        f"pipeline's batches{_raw_slices(raw)}. Memory is that of the app and its extraction "
        "workers together, as PSS "
        "(shared pages divided among the processes sharing them; summed RSS would count the "
        "workers' inherited modules, the libraries and the mapped model once per process).",
        "",
        "| | target | measured | baseline |",
        "|---|---|---|---|",
        f"| indexing, files/s | - | {first['files_per_s']} | - |",
        f"| indexing, chunks/s, pass 1 / pass 2 | - | {first['chunks_per_s']} / "
        f"{second['chunks_per_s']} | raw embedder {raw['chunks_per_s']} |",
        f"| pipeline overhead | <= {t['pipeline_overhead']:.0%} | "
        f"{data['pipeline_overhead']:.1%} | - |",
        f"| rescan of the unchanged tree | <= {t['rescan_s']} s | {rescan['plan_s']} s "
        f"({data['rescan_ratio']}x) | os.scandir + stat {rescan['scandir_stat_s']} s |",
        f"| peak memory while indexing, app + workers, PSS | <= {t['peak_pss_mb']} MB | "
        f"{first['peak_pss_mb']} MB (pass 2: {second['peak_pss_mb']} MB) | RSS summed over "
        f"the processes: {first['peak_rss_sum_mb']} MB |",
        f"| memory after pass 1 / pass 2, PSS (leak) | no growth | {first['pss_after_mb']} / "
        f"{second['pss_after_mb']} MB ({data['leak_pss_mb']:+} MB) | after closing and "
        f"reopening the engine between them: {data['reopened']['pss_mb']} MB |",
        f"| change to searchable, median / p95 ({watch['edits']} edits) | median <= "
        f"{t['change_to_searchable_median_s']} s | {watch['median_s']} / {watch['p95_s']} s "
        f"({watch['missed']} missed) | debounce {watch['debounce_s']} s |",
        f"| start-up, window shown / engine ready (median of {start['runs']}) | - | "
        f"{start['window_shown_ms']} / {start['engine_ready_ms']} ms | - |",
        f"| RSS at idle, window open, index loaded | - | {start['rss_mb']} MB | - |",
        "",
        f"Run time {data['seconds']} s.",
    ]


def _idle(data: dict[str, Any]) -> list[str]:
    """Memory at rest before and after the idle release, and what the release costs."""
    t, s, reload = data["targets"], data["summary"], data["reload"]
    by_pss = sorted(data["cycles"], key=lambda c: c["released"]["pss_mb"])
    middle = by_pss[len(by_pss) // 2]  # the cycle of the median released PSS
    loaded, released = middle["loaded"], middle["released"]
    index = data["index"]
    lines = [
        "## Memory at rest",
        "",
        f"Run: {_machine(data['machine'])}. `python -m tests.benchmarks.bench_idle`.",
        "",
        "The real window (offscreen), bridge and engine on the indexing benchmark's corpus "
        f"({index['files']:,} files, {index['chunks']:,} chunks, ANN index built), folder "
        f"watcher running. Each of {len(data['cycles'])} cycles: a file edited right after an "
        "idle release (the indexing context and the fork server load again), a second one "
        "while loaded, memory *loaded* (what the app kept at rest before `idle_unload_s`: "
        "both model contexts, the fork server and the resource tracker, glibc's free pages), "
        "memory *released* after the idle release (`idle_unload_s` set to "
        f"{data['idle_unload_s']:g} s for the run; the default is 90), then the first search "
        f"through the window and {data['warm_searches']} warm ones. Memory is the app and "
        "its child processes (fork server, resource tracker) summed; medians over the cycles. "
        "PSS divides a shared page among the processes mapping it, here also other people's "
        "processes running the same libraries on this shared machine, so it reads lower than "
        "it would on a desktop where only the app maps them; RSS counts every mapped page in "
        "full (the upper bound); anonymous memory (heaps, stacks) is the part that is the "
        "app's alone, whatever else runs.",
        "",
        "| | target | after the idle release | before: loaded at rest |",
        "|---|---|---|---|",
        f"| memory at rest, PSS | <= {t['released_pss_mb']} MB | {s['released_pss_mb']} MB | "
        f"{s['loaded_pss_mb']} MB |",
        f"| memory at rest, RSS summed | - | {s['released_rss_mb']} MB | {s['loaded_rss_mb']} MB |",
        f"| memory at rest, anonymous | - | {s['released_anon_mb']} MB | "
        f"{s['loaded_anon_mb']} MB |",
        f"| first search after the release (query context reloaded) / warm, window to "
        "results | + <= "
        f"{t['first_search_extra_ms']} ms | {s['first_search_ms']} / {s['warm_search_ms']} ms "
        f"({s['first_search_extra_ms']:+} ms) | - |",
        f"| edit to indexed, after the release / while loaded | - | "
        f"{s['change_after_release_s']} / {s['change_while_loaded_s']} s | - |",
        f"| reload, each alone: fork server start / indexing context / query context (median "
        f"of {len(reload['fork_server_start']['all_s'])}) | - | "
        f"{reload['fork_server_start']['median_s']} / {reload['index_context']['median_s']} / "
        f"{reload['query_context']['median_s']} s | - |",
        f"| just started, engine ready, nothing indexed yet (PSS / RSS) | - | "
        f"{data['started']['pss_mb']} / {data['started']['rss_mb']} MB | - |",
        "",
        "By process and, for the app's own process, by mapping (PSS, MB, the cycle of the median):",
        "",
        "| | loaded | released |",
        "|---|---|---|",
    ]
    roles = dict.fromkeys(p["role"] for p in [*loaded["processes"], *released["processes"]])
    for role in roles:
        before = sum(p["pss_mb"] for p in loaded["processes"] if p["role"] == role)
        after = sum(p["pss_mb"] for p in released["processes"] if p["role"] == role)
        lines.append(f"| process: {role} | {before} | {after} |")
    mappings = dict.fromkeys([*loaded["app_by_mapping_mb"], *released["app_by_mapping_mb"]])
    for name in mappings:
        lines.append(
            f"| app, {name} | {loaded['app_by_mapping_mb'].get(name, 0)} | "
            f"{released['app_by_mapping_mb'].get(name, 0)} |"
        )
    lines += [
        "",
        "Measured and not adopted (undone by the next search, which pays the reload):",
        "",
        "| also released | PSS saved | first search after it (each) |",
        "|---|---|---|",
    ]
    names = {"query_context": "the query context", "store": "the store's LanceDB handles"}
    for key, alt in data["alternatives"].items():
        each = ", ".join(f"{v:g}" for v in alt["first_search_ms_all"])
        lines.append(
            f"| {names.get(key, key)} | {alt['pss_saved_mb']} MB | "
            f"{alt['first_search_ms']} ms ({each}) |"
        )
    lines += ["", f"Run time {data['seconds']} s."]
    return lines


def _builds(data: dict[str, Any]) -> list[str]:
    """The optional build-option levers (``make bench-builds``)."""
    builds = "; ".join(f"{name}: `{args}`" for name, args in data["builds"].items())
    lines = [
        "## Embedding levers: other builds of llama.cpp",
        "",
        f"Run: {_machine(data['machine'])}. `make bench-builds` "
        "(`python -m tests.benchmarks.bench_builds`; not in `make bench`: each build takes about "
        f"10 minutes). llama-cpp-python rebuilt with other ggml options ({builds}; BLAS is "
        f"Debian's OpenBLAS); the same Embedder on {data['chunks']} of the benchmark's chunks, "
        f"{data['threads']} threads, each variant in a fresh process, {data['rounds']} "
        "interleaved rounds of 2 passes, median.",
        "",
        "| variant | chunks/s | vs default | passes |",
        "|---|---|---|---|",
    ]
    for row in data["variants"]:
        lines.append(
            f"| {row['variant']} | {row['chunks_per_s']} | {row['vs_default']} | "
            f"{', '.join(str(v) for v in row['passes_chunks_per_s'])} |"
        )
    return lines


def _search_ab(data: dict[str, Any]) -> list[str]:
    lines = [
        "## Search latency against an earlier revision (interleaved)",
        "",
        f"Run: {_machine(data['machine'])}. `python -m tests.benchmarks.ab_search --against "
        f"{data['against']}`: this checkout and revision {data['against']} each in their own "
        "process over their own copy of bench_search's synthetic index (ANN built), queries "
        "alternating between them, so both see the same noise; end-to-end hybrid query, 10 "
        "results.",
        "",
        f"| chunks | {data['against']} p50 / p95 | this checkout p50 / p95 | median ratio "
        "| queries |",
        "|---|---|---|---|---|",
    ]
    for r in data["results"]:
        lines.append(
            f"| {r['chunks']:,} | {r['before']['p50_ms']} / {r['before']['p95_ms']} ms | "
            f"{r['after']['p50_ms']} / {r['after']['p95_ms']} ms | {r['median_ratio']} | "
            f"{r['queries']} |"
        )
    return lines


def _quality(data: dict[str, Any]) -> list[str]:
    return quality(data, _machine(data["machine"]))


SECTIONS = {
    "embedding": _embedding,
    "builds": _builds,
    "indexing": _indexing,
    "idle": _idle,
    "search": _search,
    "search_ab": _search_ab,
    "quality": _quality,
    "ocr": lambda data: ocr(data, _machine(data["machine"])),
}


def render() -> str:
    """docs/BENCHMARKS.md as it should read for the JSON results and notes on disk."""
    parts = [
        "# Benchmarks",
        "",
        "Generated by `python -m tests.benchmarks.report` from `docs/benchmarks/*.json` "
        "(written by `make bench`). Medians and 95th percentiles of repeated runs on this "
        "shared 2-core machine; ratios are measured within one run.",
        "",
    ]
    for name, section in SECTIONS.items():
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            parts += [*section(json.loads(path.read_text())), ""]
    notes = RESULTS_DIR / "NOTES.md"
    if notes.exists():
        parts += [notes.read_text()]
    return "\n".join(parts).rstrip() + "\n"


def main() -> None:
    OUT.write_text(render())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
