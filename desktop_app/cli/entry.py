"""The entry point of ``desktop-search``: parse, open the GUI or run one command, report errors.

Every command honours ``--data-dir``. Errors a user can cause (a missing file, a bad model) are
one clear line on stderr and exit status 1; an unexpected failure is logged with its traceback
and reported in one line with exit status 2. The command modules, and the heavy modules they
use, are imported only when a command runs, so ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence

from desktop_app import paths, qt_deps
from desktop_app.cli.parser import PROG, build_parser
from desktop_app.engine.errors import UserFacingError
from desktop_app.logs import setup_logging

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    if args.data_dir:
        paths.set_home(args.data_dir)
    setup_logging(args.verbose)
    if args.command in (None, "gui"):
        if (missing := qt_deps.problem()) is not None:  # before Qt aborts on its xcb plugin
            print(f"{PROG}: error: {missing}", file=sys.stderr)
            return 1
        from desktop_app.ui.app import run_gui

        return run_gui(smoke_test=getattr(args, "smoke_test", False), started=started)
    sub = getattr(args, "models_command", None) or getattr(args, "folders_command", None)
    handlers = _handlers()
    handler = handlers.get((args.command, sub)) or handlers[(args.command, None)]
    try:
        return handler(args)
    except UserFacingError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        log.exception("unexpected failure")
        print(f"{PROG}: internal error: {exc} (details in {paths.log_file()})", file=sys.stderr)
        return 2


def _self_test(args: argparse.Namespace) -> int:
    from desktop_app.selftest import run_self_test

    report = run_self_test()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


def _handlers() -> dict[tuple[str, str | None], Handler]:
    """(command, action) -> handler, from every command module; imported on first use."""
    from desktop_app.cli import index_commands, models_commands, search_commands, status_commands

    return {
        **models_commands.HANDLERS,
        **index_commands.HANDLERS,
        **search_commands.HANDLERS,
        **status_commands.HANDLERS,
        ("self-test", None): _self_test,
    }
