"""The ``status`` command: the model, the folders, the counts, the failures and notices."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict

from desktop_app.cli.output import json_paths


def cmd_status(args: argparse.Namespace) -> int:
    from desktop_app.engine.pathnames import display
    from desktop_app.engine.service import Engine

    engine = Engine()
    try:
        status = engine.status()
    finally:
        engine.close()
    if args.json:
        data = asdict(status)
        for rows in ("folders", "failures", "notices"):
            data[rows] = json_paths(data[rows])
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"model {status.model} (dimension {status.dimension}), index at {status.store}")
    files = status.files
    print(
        f"{files.indexed} files indexed ({status.chunks} chunks), {files.failed} "
        f"failed, {files.skipped} skipped, {files.truncated} truncated"
    )
    for folder in status.folders:
        missing = "" if folder.exists else "  [folder not found]"
        print(
            f"  {display(folder.path)}: {folder.indexed} indexed, {folder.failed} failed{missing}"
        )
    for failure in status.failures[:50]:
        print(f"  failed: {display(failure.path)}: {failure.reason}: {failure.message}")
    for notice in status.notices[:50]:
        print(f"  {notice.reason}: {display(notice.path)}: {notice.message}")
    return 0


HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("status", None): cmd_status,
}
