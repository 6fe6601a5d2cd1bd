"""What the CLI commands print in common: indexing progress, an indexing summary, JSON paths.

Output for people goes to stdout, progress to stderr, so ``--json`` output can be piped.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.engine.pipeline import IndexSummary, Progress


class ProgressPrinter:
    """Progress on stderr: a rewritten line on a terminal, a line every few seconds otherwise."""

    def __init__(self, interval_s: float = 2.0) -> None:
        self.tty = sys.stderr.isatty()
        self.interval_s = 0.1 if self.tty else interval_s
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < self.interval_s and p.files_done < p.files_total:
            return
        self._last = now
        eta = f", ETA {p.eta_s:.0f} s" if p.eta_s is not None else ""
        state = " (paused)" if p.paused else ""
        ocr = f", scanned pages {p.ocr_pages_done}/{p.ocr_pages_total}" if p.ocr_file else ""
        line = (
            f"files {p.files_done}/{p.files_total}, {p.chunks_per_s:.1f} chunks/s{eta}{ocr}"
            f"{state}  {(p.ocr_file or p.current_file)[-60:]}"
        )
        if self.tty:
            print(f"\r\x1b[K{line}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def finish(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def json_paths(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with a ``path`` key, as JSON output carries paths (see ``pathnames.as_json``)."""
    from desktop_app.engine.pathnames import as_json

    return [{**row, **as_json(row["path"])} for row in rows]


def print_summary(summary: IndexSummary, as_json: bool) -> None:
    from desktop_app.engine.pathnames import display

    if as_json:
        data = asdict(summary)
        data["errors"] = json_paths(data["errors"])
        print(json.dumps(data, ensure_ascii=False))
        return
    print(
        f"indexed {summary.indexed}, unchanged {summary.unchanged}, failed {summary.failed}, "
        f"skipped {summary.skipped}, removed {summary.removed}, renamed {summary.renamed}; "
        f"{summary.chunks} chunks ({summary.embedded} embedded, {summary.reused} reused) "
        f"in {summary.seconds:.1f} s"
    )
    for error in summary.errors[:20]:
        print(f"  failed: {display(error['path'])}: {error['reason']}: {error['message']}")
    if len(summary.errors) > 20:
        print(f"  ... and {len(summary.errors) - 20} more (desktop-search status)")
