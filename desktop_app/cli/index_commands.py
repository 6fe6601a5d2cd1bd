"""The commands that build and keep the index: index, doctor, folders, watch.

Each drives an :class:`~desktop_app.engine.service.Engine`, the same object the GUI drives;
``watch`` runs it through :class:`~desktop_app.engine.runner.EngineRunner`, as the window does.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.cli.output import ProgressPrinter, print_summary
from desktop_app.engine.errors import UserFacingError

if TYPE_CHECKING:
    from desktop_app.engine.events import EngineEvent


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
    """Index every folder, then keep it current until Ctrl+C: the engine's runner does the work
    (its job thread and watcher, as in the window); this only prints what it reports."""
    from desktop_app.engine.runner import EngineRunner
    from desktop_app.settings import Settings

    folders = Settings.load()["folders"]
    if not folders:
        raise UserFacingError(
            "no folders to watch; add some with 'desktop-search folders add PATH'"
        )
    received: queue.Queue[EngineEvent] = queue.Queue()
    runner = EngineRunner(received.put, memory_interval_s=None)
    printer = ProgressPrinter()
    runner.start()
    try:
        while True:
            try:
                event = received.get(timeout=1.0)  # a timeout, so Ctrl+C is heard at once
            except queue.Empty:
                continue
            _print_event(event, printer, len(folders))
    finally:
        runner.shutdown()


def _print_event(event: EngineEvent, printer: ProgressPrinter, folders: int) -> None:
    from desktop_app.engine import events

    if isinstance(event, events.EngineFailed):
        raise UserFacingError(event.message)
    if isinstance(event, events.EngineStarted):
        print(f"watching {folders} folders; Ctrl+C to stop", file=sys.stderr, flush=True)
    elif isinstance(event, events.IndexProgress):
        printer(event.progress)
    elif isinstance(event, events.IndexFinished):
        printer.finish()
        print_summary(event.summary, as_json=False)
        sys.stdout.flush()
    elif isinstance(event, events.FolderProblem):
        print(f"warning: {event.path}: {event.message}", file=sys.stderr, flush=True)
    elif isinstance(event, events.CommandFailed):
        print(f"error: {event.message}", file=sys.stderr, flush=True)


HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("index", None): cmd_index,
    ("doctor", None): cmd_doctor,
    ("folders", "list"): cmd_folders,
    ("folders", "add"): cmd_folders,
    ("folders", "remove"): cmd_folders,
    ("watch", None): cmd_watch,
}
