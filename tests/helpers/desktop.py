"""A throwaway freedesktop tree (XDG folders, .desktop files, mimeapps.list, programs on PATH)
for the tests of opening a PDF at a page: the machine's own desktop is never read."""

from __future__ import annotations

from pathlib import Path


def desktop_tree(tmp_path: Path, programs: list[str]) -> dict[str, str]:
    """XDG folders with a desktop file per program, and the programs on PATH."""
    bin_dir, data = tmp_path / "bin", tmp_path / "data"
    (data / "applications").mkdir(parents=True)
    bin_dir.mkdir()
    for name in programs:
        exe = bin_dir / name
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
        (data / "applications" / f"{name}.desktop").write_text(
            f"[Desktop Entry]\nName={name}\nExec={name} %U\nMimeType=application/pdf;\n"
        )
    return {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "etc"),
        "XDG_DATA_HOME": str(tmp_path / "home-data"),
        "XDG_DATA_DIRS": str(data),
        "PATH": str(bin_dir),
    }


def set_default(env: dict[str, str], desktop_id: str, listing: str = "mimeapps.list") -> None:
    folder = Path(env["XDG_CONFIG_HOME"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / listing).write_text(
        f"[Added Associations]\napplication/pdf=other.desktop;\n\n"
        f"[Default Applications]\napplication/pdf={desktop_id};\n"
    )
