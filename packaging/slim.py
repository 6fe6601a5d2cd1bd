"""Make a Linux bundle smaller without changing what runs (the smoke test checks that).

* Duplicates become symlinks. Wheels ship a library under several names (``libfoo.so``,
  ``libfoo.so.1``, ``libfoo.so.1.2``) as symlinks; PyInstaller collects each name as a full
  copy. The copies waste space, and worse, a library loaded by two names is mapped twice (two
  ggml backend registries, say). Linking the copies back to one file restores what the wheel
  meant.
* Debug symbols go. Many wheels ship unstripped libraries (pyarrow, the pyenv libpython).
  Libraries that auditwheel vendored into ``*.libs`` folders are left alone: patchelf moved
  their segments, and ``strip`` breaks them ("ELF load command address/offset not
  page-aligned"), which is why PyInstaller's own ``strip=True`` cannot be used.
* Vendored libraries nothing loads go. The project uses opencv-python-headless (no Qt); should
  opencv-python come back, it vendors Qt5 and X11 libraries for ``cv2.imshow`` windows.
  ``cv2.abi3.so`` links Qt5 Core, Gui, Widgets and Test directly, so those would stay, but the
  Qt5 xcb platform plugin (``cv2/qt/plugins``, left out by the spec) and the libraries only it
  links to (``libQt5XcbQpa``, most ``libxcb-*``, ``libxkbcommon*``) are removed: OCR never
  opens a window.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def link_duplicate_libraries(bundle: Path) -> int:
    """Replace identical ``*.so*`` files in the same folder by relative symlinks; bytes saved."""
    groups: dict[tuple[Path, int, str], list[Path]] = defaultdict(list)
    for path in bundle.rglob("*.so*"):
        if path.is_file() and not path.is_symlink():
            groups[(path.parent, path.stat().st_size, _digest(path))].append(path)
    saved = 0
    for (_, size, _), names in groups.items():
        if len(names) < 2:
            continue
        # Keep the name with one version number (the SONAME, what the loader asks for).
        names.sort(key=lambda p: (p.name.count(".so.") == 0, p.name.count("."), p.name))
        keep, *copies = names
        for copy in copies:
            copy.unlink()
            os.symlink(keep.name, copy)
            saved += size
    return saved


def _is_unstripped_elf(path: Path) -> bool:
    with path.open("rb") as f:
        if f.read(4) != b"\x7fELF":
            return False
    readelf = subprocess.run(
        ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=False
    )
    return ".symtab" in readelf.stdout or ".debug_info" in readelf.stdout


def strip_libraries(bundle: Path) -> int:
    """``strip --strip-unneeded`` every unstripped library outside ``*.libs``; bytes saved."""
    if shutil.which("strip") is None or shutil.which("readelf") is None:
        print("strip/readelf not found: libraries left unstripped")
        return 0
    saved = 0
    for path in sorted(bundle.rglob("*.so*")):
        if path.is_symlink() or not path.is_file():
            continue
        if any(part.endswith(".libs") for part in path.relative_to(bundle).parts):
            continue
        if not _is_unstripped_elf(path):
            continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-unneeded", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


def elf_needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` names of an ELF file (empty when it is not one)."""
    readelf = subprocess.run(
        ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=False
    )
    return [
        line.split("[", 1)[1].split("]", 1)[0]
        for line in readelf.stdout.splitlines()
        if "(NEEDED)" in line and "[" in line
    ]


def drop_unlinked_vendored(
    contents: Path, libs_folder: str, roots: list[Path], needed: Callable[[Path], list[str]]
) -> int:
    """Remove the files of ``contents/libs_folder`` that ``roots`` do not link to, directly or
    through each other, and the symlinks to them; bytes saved."""
    folder = contents / libs_folder
    if not folder.is_dir() or not roots:
        return 0
    vendored = {path.name: path for path in folder.iterdir() if path.is_file()}
    kept: set[str] = set()
    todo = list(roots)
    while todo:
        for name in needed(todo.pop()):
            if name in vendored and name not in kept:
                kept.add(name)
                todo.append(vendored[name])
    saved = 0
    for name, path in vendored.items():
        if name not in kept:
            saved += path.stat().st_size
            path.unlink()
    for link in contents.iterdir():  # PyInstaller links each vendored library into contents/
        if link.is_symlink() and not link.exists():
            link.unlink()
    return saved


def slim(bundle: Path) -> None:
    linked = link_duplicate_libraries(bundle)
    stripped = strip_libraries(bundle)
    dropped = 0
    contents = bundle / "_internal"
    if shutil.which("readelf") is not None:
        for libs in ("opencv_python.libs", "opencv_python_headless.libs"):
            dropped += drop_unlinked_vendored(
                contents, libs, sorted(contents.glob("cv2/*.so")), elf_needed
            )
    print(
        f"slimmed {bundle.name}: {linked / 1e6:.1f} MB of duplicates linked, "
        f"{stripped / 1e6:.1f} MB of symbols stripped, "
        f"{dropped / 1e6:.1f} MB of OpenCV's window libraries dropped"
    )
