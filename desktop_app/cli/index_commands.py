"""The commands that build and keep the index: index, doctor, folders, watch.

Each drives an :class:`~desktop_app.engine.service.Engine`, the same object the GUI drives.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable

from desktop_app.cli.output import ProgressPrinter, print_summary
from desktop_app.engine.errors import UserFacingError


def cmd_index(args: argparse.Namespace) -> int:
    from desktop_app.engine.service import Engine

    engine = Engine()
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


def cmd_doctor(args: argparse.Namespace) -> int:
    from desktop_app.engine.service import Engine

    engine = Engine()
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
    from desktop_app.engine.service import Engine

    engine = Engine()
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
    from desktop_app.engine.service import Engine
    from desktop_app.engine.watcher import FolderWatcher

    engine = Engine()
    if not engine.folders:
        raise UserFacingError(
            "no folders to watch; add some with 'desktop-search folders add PATH'"
        )
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


HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("index", None): cmd_index,
    ("doctor", None): cmd_doctor,
    ("folders", "list"): cmd_folders,
    ("folders", "add"): cmd_folders,
    ("folders", "remove"): cmd_folders,
    ("watch", None): cmd_watch,
}
