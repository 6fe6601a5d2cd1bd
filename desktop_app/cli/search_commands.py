"""The commands that query the index: search and similar, with their filter flags and output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.engine.errors import UserFacingError

if TYPE_CHECKING:
    from desktop_app.engine.query import Filters
    from desktop_app.engine.search import SearchResponse


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
    from desktop_app.engine.service import Engine

    if (args.query is None) == (args.queries is None):
        raise UserFacingError("give a QUERY or --queries FILE (one of the two)")
    if args.queries is not None:
        try:
            queries = [
                q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()
            ]
        except (OSError, UnicodeDecodeError) as exc:
            raise UserFacingError(f"{args.queries}: cannot read ({exc})") from exc
    else:
        queries = [args.query]
    filters = filters_from_args(args)
    engine = Engine()
    try:
        for query in queries:
            response = engine.search(query, limit=args.limit, mode=args.mode, filters=filters)
            _print_response(response, args.json or args.queries is not None)
        return 0
    finally:
        engine.close()


def filters_from_args(args: argparse.Namespace) -> Filters:
    """The filter flags (--ext, --type, --in, --after, --before) as engine filters."""
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
        raise UserFacingError(str(exc)) from exc


def cmd_similar(args: argparse.Namespace) -> int:
    from desktop_app.engine.service import Engine

    engine = Engine()
    try:
        response = engine.similar(args.path, limit=args.limit, filters=filters_from_args(args))
        _print_response(response, args.json)
        return 0
    finally:
        engine.close()


HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("search", None): cmd_search,
    ("similar", None): cmd_similar,
}
