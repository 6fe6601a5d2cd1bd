"""CLI commands over the index: index, search, status, doctor, folders, watch.

Output for people goes to stdout, progress to stderr (so ``--json`` output can be piped), and
every command takes the engine from :func:`open_engine`, the same object the GUI drives.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.engine.pipeline import IndexSummary, Progress
    from desktop_app.engine.query import Filters
    from desktop_app.engine.search import SearchResponse
    from desktop_app.engine.service import Engine


def open_engine() -> Engine:
    from desktop_app.engine.service import Engine

    return Engine()


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
        line = (
            f"files {p.files_done}/{p.files_total}, {p.chunks_per_s:.1f} chunks/s{eta}"
            f"{state}  {p.current_file[-60:]}"
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


def cmd_index(args: argparse.Namespace) -> int:
    engine = open_engine()
    try:
        roots = engine.add_folders(args.paths)
        printer = ProgressPrinter()
        summary = engine.index(roots, progress=printer)
        printer.finish()
        if engine.store.needs_vector_index():
            print(
                f"building the vector index over {engine.store.count_chunks()} chunks "
                "(searches stay exact until it is done)...",
                file=sys.stderr,
                flush=True,
            )
            engine.ensure_vector_index(background=False)
        print_summary(summary, args.json)
        return 0
    finally:
        engine.close()


def _print_response(response: SearchResponse, as_json: bool) -> None:
    from desktop_app.engine.pathnames import display

    if as_json:
        print(json.dumps(response.as_json(), ensure_ascii=False))
        return
    for note in response.notes:
        print(f"note: {note}", file=sys.stderr)
    if not response.results:
        print(f"no results for {response.query!r} ({response.took_ms:.0f} ms)")
        return
    strong = sum(not hit.weak for hit in response.results)
    if not strong:
        print(f"no good matches for {response.query!r}; weaker matches:")
    for rank, hit in enumerate(response.results, 1):
        if hit.weak and rank == strong + 1 and strong:
            print("weaker matches:")
        page = f" (page {hit.page})" if hit.page else ""
        print(f"{rank:2}. {hit.relevance:.2f}  {display(hit.path)}{page}")
        print(f"      {hit.snippet}")
    weaker = len(response.results) - strong
    print(f"{strong} good, {weaker} weaker matches in {response.took_ms:.0f} ms")


def cmd_search(args: argparse.Namespace) -> int:
    from desktop_app.engine.errors import UserFacingError as UserError

    if (args.query is None) == (args.queries is None):
        raise UserError("give a QUERY or --queries FILE (one of the two)")
    if args.queries is not None:
        try:
            queries = [
                q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()
            ]
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{args.queries}: cannot read ({exc})") from exc
    else:
        queries = [args.query]
    filters = filters_from_args(args)
    engine = open_engine()
    try:
        for query in queries:
            response = engine.search(query, limit=args.limit, mode=args.mode, filters=filters)
            _print_response(response, args.json or args.queries is not None)
        return 0
    finally:
        engine.close()


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The filter flags (--ext, --type, --in, --after, --before) as engine filters."""
    from desktop_app.engine.errors import UserFacingError as UserError
    from desktop_app.engine.query import Filters, QueryError, parse_date

    try:
        return Filters(
            extensions=[e.lower().lstrip(".") for e in args.ext or []],
            types=[t.lower() for t in args.type or []],
            folders=list(args.folder or []),
            after=parse_date(args.after, "--after") if args.after else None,
            before=parse_date(args.before, "--before") if args.before else None,
        )
    except QueryError as exc:
        raise UserError(str(exc)) from exc


def cmd_similar(args: argparse.Namespace) -> int:
    engine = open_engine()
    try:
        response = engine.similar(args.path, limit=args.limit, filters=filters_from_args(args))
        _print_response(response, args.json)
        return 0
    finally:
        engine.close()


def cmd_status(args: argparse.Namespace) -> int:
    from desktop_app.engine.pathnames import display

    engine = open_engine()
    try:
        status = engine.status()
    finally:
        engine.close()
    if args.json:
        status["folders"] = json_paths(status["folders"])
        status["failures"] = json_paths(status["failures"])
        status["notices"] = json_paths(status["notices"])
        print(json.dumps(status, indent=2, ensure_ascii=False))
        return 0
    print(f"model {status['model']} (dimension {status['dimension']}), index at {status['store']}")
    files = status["files"]
    print(
        f"{files['indexed']} files indexed ({status['chunks']} chunks), {files['failed']} "
        f"failed, {files['skipped']} skipped, {files['truncated']} truncated"
    )
    for folder in status["folders"]:
        missing = "" if folder["exists"] else "  [folder not found]"
        print(
            f"  {display(folder['path'])}: {folder['indexed']} indexed, {folder['failed']} "
            f"failed{missing}"
        )
    for failure in status["failures"][:50]:
        print(f"  failed: {display(failure['path'])}: {failure['reason']}: {failure['message']}")
    for notice in status["notices"][:50]:
        print(f"  {notice['reason']}: {display(notice['path'])}: {notice['message']}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    engine = open_engine()
    try:
        printer = ProgressPrinter()
        report = engine.doctor(repair=args.repair, progress=printer)
        printer.finish()
    finally:
        engine.close()
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return 0 if report.ok else 1
    for action in report.actions:
        print(f"repaired: {action}")
    if report.ok:
        print(f"index is consistent: {report.files} files, {report.chunks} chunks")
    else:
        print(f"index is inconsistent ({len(report.problems)} problems):")
        for problem in report.problems[:50]:
            print(f"  {problem}")
        if not args.repair:
            print("run 'desktop-search doctor --repair' to fix it")
    return 0 if report.ok else 1


def cmd_folders(args: argparse.Namespace) -> int:
    engine = open_engine()
    try:
        if args.folders_command == "add":
            for path in engine.add_folders(args.paths):
                print(f"added {path}")
        elif args.folders_command == "remove":
            engine.remove_folder(args.path)
            print(f"removed {args.path}")
        else:
            for path in engine.folders:
                print(path)
        return 0
    finally:
        engine.close()


def cmd_watch(args: argparse.Namespace) -> int:
    from desktop_app.engine.errors import UserFacingError as UserError
    from desktop_app.engine.watcher import FolderWatcher

    engine = open_engine()
    if not engine.folders:
        raise UserError("no folders to watch; add some with 'desktop-search folders add PATH'")
    stop = threading.Event()

    def on_changes(paths: set[str]) -> None:
        summary = engine.run_plan(engine.plan_paths(paths))
        print_summary(summary, as_json=False)
        engine.ensure_vector_index()

    def on_problem(path: str, message: str) -> None:
        print(f"warning: {path}: {message}", file=sys.stderr)

    try:
        printer = ProgressPrinter()
        print_summary(engine.index(progress=printer), as_json=False)
        printer.finish()
        watcher = FolderWatcher(
            engine.folders,
            on_changes,
            on_problem=on_problem,
            debounce_s=engine.settings["watch_debounce_s"],
        )
        watcher.start()
        print(f"watching {len(engine.folders)} folders; Ctrl+C to stop", file=sys.stderr)
        try:
            while not stop.wait(1.0):
                pass
        finally:
            watcher.stop()
    finally:
        engine.close()
    return 0


HANDLERS: dict[tuple[str, str | None], Any] = {
    ("index", None): cmd_index,
    ("search", None): cmd_search,
    ("similar", None): cmd_similar,
    ("status", None): cmd_status,
    ("doctor", None): cmd_doctor,
    ("folders", "list"): cmd_folders,
    ("folders", "add"): cmd_folders,
    ("folders", "remove"): cmd_folders,
    ("watch", None): cmd_watch,
}
