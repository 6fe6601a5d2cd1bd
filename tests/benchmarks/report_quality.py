"""The retrieval-quality section of docs/BENCHMARKS.md (from docs/benchmarks/quality.json)."""

from __future__ import annotations

from typing import Any

#: What issue 10 asked for, and where the app stood before it (the same collection, via CLI).
TARGETS = {"hybrid": 0.51, "vector": 0.409, "margin": 0.02, "strong": 0.90, "clean": 0.95}
BEFORE = {"keyword": 0.402, "vector": 0.370, "hybrid": 0.421}
ANCHORS = "BM25 0.408, MiniLM over whole records 0.409, their plain RRF 0.507"


def quality(data: dict[str, Any], machine: str) -> list[str]:
    modes = data["modes"]
    hybrid = modes["hybrid"]["ndcg10"]
    margin = hybrid - max(modes["keyword"]["ndcg10"], modes["vector"]["ndcg10"])
    lines = [
        "## Retrieval quality (nDCG@10, recall@10)",
        "",
        f"Run: {machine}. `make bench-quality` "
        "(`python -m tests.benchmarks.bench_quality --levers`).",
        "",
        f"Collection: {data['collection']}, {data['records']:,} records written one `.txt` per "
        f"record (title, blank line, abstract), indexed through the app's Engine in "
        f"{data['indexing']['index_s']} s ({data['indexing']['chunks']:,} chunks); its "
        f"{data['judged_queries']} judged queries run through `Searcher` exactly as typed, "
        "quotes included. Anchors measured outside the app on the same collection: "
        f"{ANCHORS}.",
        "",
        "| mode | nDCG@10 | recall@10 | before (issue 10) | target | median query |",
        "|---|---|---|---|---|---|",
    ]
    targets = {
        "keyword": "-",
        "vector": f">= {TARGETS['vector']}",
        "hybrid": f">= {TARGETS['hybrid']}, >= {TARGETS['margin']} above both",
    }
    for mode in ("keyword", "vector", "hybrid"):
        m = modes[mode]
        lines.append(
            f"| {mode} | {m['ndcg10']} | {m['recall10']} | {BEFORE[mode]} | {targets[mode]} | "
            f"{m['median_ms']} ms |"
        )
    lines += [
        "",
        f"Hybrid stands {margin:+.4f} above the better single mode.",
        "",
        *_relevance(data),
        *_levers(data),
    ]
    return lines


def _relevance(data: dict[str, Any]) -> list[str]:
    weak = data.get("weak") or {}
    if not weak:
        return []
    return [
        "### Relevance: strong and weak matches",
        "",
        f'`min_relevance` {data["min_relevance"]}. A query "returns nothing strong" when every '
        "result is `weak`. Off-topic: 50 cooking questions; nonsense: 50 random letter strings "
        "(seeded).",
        "",
        "How relevance is made (engine/relevance.py): each hit's similarity is compared with "
        "the query's similarity to a uniform 2,000-chunk sample of the index, in units of the "
        "model's paraphrase gap (how far a paraphrase stands above unrelated sentences, on 40 "
        "built-in pairs: 0.64 for MiniLM); with the rarity-weighted share of the query's words "
        "the hit contains, and the share of the query's words the index knows at all. A "
        "logistic regression on this collection's judged hits (relevant against non-relevant "
        "and off-topic ones, classes balanced) gave the weights, rounded (bias -7.5, standing "
        "4.0, coverage 2.0, known words 6.5); a hit within 0.6 paraphrase gaps of the query is "
        "relevant on meaning alone when the query reads as language to the model. Raw cosine "
        "z-scores against the sample were tried first and rejected: random letter strings "
        "have so narrow a similarity spread that their best hit stood 4 standard deviations "
        "out, above most relevant records (at best 88% of relevant records strong with 95% of "
        "nonsense queries clean).",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| relevant records found in the top 10 that are strong | "
        f"{weak['relevant_strong_share']} ({weak['relevant_strong']} of "
        f"{weak['relevant_found']}) | >= {TARGETS['strong']} |",
        f"| random letter strings with nothing strong | {weak['nonsense']['no_strong_share']} "
        f"(median top relevance {weak['nonsense']['median_top_relevance']}) | "
        f">= {TARGETS['clean']} |",
        f"| off-topic questions with nothing strong | {weak['off_topic']['no_strong_share']} "
        f"(median top relevance {weak['off_topic']['median_top_relevance']}) | "
        f">= {TARGETS['clean']} |",
        "",
    ]


def _levers(data: dict[str, Any]) -> list[str]:
    levers = data.get("levers") or []
    if not levers:
        return []
    lines = [
        "### Ranking levers",
        "",
        "Each row changes one setting of `engine/ranking.py: Ranking` from the shipped default "
        "and reruns every judged query on the same index. A row that undoes a shipped choice "
        "shows what that choice is worth (its loss); the other rows are alternatives that were "
        "not shipped. Deltas against the shipped hybrid and vector rows above; better / worse "
        "counts the judged queries whose hybrid nDCG@10 moved up / down. An alternative is "
        "adopted only for a gain of at least 0.01 that more queries share than lose, and "
        "without a second database query per search: the rows at +0.005 (flatter fusion, "
        "dropping request words, feedback weight 1.0, a second vector search) win about as "
        "many queries as they lose, which on 52 queries is noise.",
        "",
        "| lever | what it does | undoes a shipped choice | hybrid nDCG@10 | delta | "
        "better / worse | "
        "vector nDCG@10 | delta | hybrid recall@10 | median query |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in levers:
        lines.append(
            f"| {row['lever']} | {row['what']} | {'yes' if row['undoes_shipped'] else 'no'} | "
            f"{row['ndcg10']} | {row['delta']:+.4f} | "
            f"{row['queries_better']} / {row['queries_worse']} | {row['vector_ndcg10']} | "
            f"{row['vector_delta']:+.4f} | {row['recall10']} | {row['median_ms']} ms |"
        )
    titles = data.get("title_lever")
    if titles:
        lines += [
            "",
            "**The title prepended to each chunk before embedding** (not shipped). Measured "
            "outside the pipeline: every indexed chunk embedded again by the app's model with "
            "its record's title in front, vector nDCG@10 by exact search with the app's query "
            f"embeddings, no feedback. As indexed {titles['as_indexed']}; title on every chunk "
            f"{titles['title_on_every_chunk']}; title only on the {titles['later_chunks']} "
            f"chunks (of {titles['chunks']:,}) after a record's first, the ones that lack it "
            f"{titles['title_on_later_chunks']}. A CACM record's title is already its first "
            "line, so the gain of the first variant is the title counted twice: it rewards "
            "collections whose titles are summaries. The app's title of a text file is its "
            "file name, which for this benchmark is a record number; shipping the lever means "
            "embedding chunk identity as title + text (a rename re-embeds) and an index "
            "format change. The title/name boost row above is 0 here for the same reason.",
        ]
    return [*lines, ""]
