"""Linux artefacts from the PyInstaller bundle: a ``.tar.gz`` and a ``.deb``.

``python packaging/linux.py`` (run by ``make package`` after PyInstaller) writes both to
``dist/``. The .deb installs the bundle under ``/opt/desktop-search``, a launcher in
``/usr/bin`` (a relative symlink, so it also works from a ``dpkg -x`` root), the .desktop entry
and the icons. It is built with ``dpkg-deb`` alone (no debhelper): the bundle is already
complete, only the system libraries Qt needs from the desktop are declared as dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import project

# What Qt's platform plugins and the Qt libraries they load need from the system: OpenGL/EGL
# for rendering, the xcb and Wayland client libraries of the two display platforms (Qt 6.5+
# also needs libxcb-cursor0), fonts, D-Bus and GLib for QtGui/QtCore, and the C++ runtime.
# PyInstaller bundles a copy of some of them, but only of those installed on the build machine
# (a missing one is skipped with a warning), so all are declared: the .deb must not depend on
# what the build machine happened to have. `make package-test` fails when a library the
# bundled plugins link to is neither bundled nor covered here (dpkg -S / qt_deps.PACKAGES),
# and a unit test holds this list to the wheel's plugins. libc6 is added with the minimum
# version the bundle's symbols require.
SYSTEM_DEPENDS = (
    "libgl1",
    "libegl1",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libglib2.0-0",
    "zlib1g",
    "libzstd1",
    "libstdc++6",
    "libgcc-s1",
)
MAINTAINER = "Desktop Search developers <dev@desktop-search.invalid>"
DESCRIPTION = """\
Local semantic and keyword search over your documents
 Desktop Search indexes the folders you choose in the background, keeps the index current as
 files change, and finds documents by meaning and by keyword. Everything runs on this
 computer: the embedding model ships with the package and nothing is sent anywhere."""


def tarball(bundle: Path, out: Path) -> Path:
    """``out`` as a gzip tarball of the bundle under one top folder (symlinks kept)."""
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{project.APP_NAME}-{project.version()}")
    return out


def glibc_minimum(bundle: Path) -> str:
    """The newest ``GLIBC_x.y`` symbol version any binary in the bundle asks for."""
    versions: set[tuple[int, ...]] = set()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or not _is_elf(path):
            continue
        dump = subprocess.run(
            ["objdump", "-T", str(path)], capture_output=True, text=True, check=False
        ).stdout
        versions.update(tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_([\d.]+)", dump))
    return ".".join(map(str, max(versions))) if versions else "2.17"


def depends_field(glibc: str) -> str:
    """The control file's ``Depends``: libc6 at the version the symbols need, then the rest."""
    return ", ".join((f"libc6 (>= {glibc})", *SYSTEM_DEPENDS))


def _is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def _tree_size_kib(root: Path) -> int:
    total = sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink())
    return (total + 1023) // 1024


def deb(bundle: Path, out: Path, staging: Path) -> Path:
    """Stage the install tree under ``staging`` and build ``out`` with dpkg-deb."""
    if shutil.which("dpkg-deb") is None:
        raise SystemExit("dpkg-deb not found (Debian's dpkg package): cannot build the .deb")
    shutil.rmtree(staging, ignore_errors=True)
    opt = staging / "opt" / project.APP_NAME
    shutil.copytree(bundle, opt, symlinks=True)
    usr_bin = staging / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    os.symlink(f"../../opt/{project.APP_NAME}/{project.APP_NAME}", usr_bin / project.APP_NAME)
    share = staging / "usr" / "share"
    resources = project.ROOT / "resources"
    _install(resources / "desktop-search.desktop", share / "applications")
    _install(resources / "icons" / "desktop-search.svg", share / "icons/hicolor/scalable/apps")
    for png in sorted((project.BUILD / "icons").glob("desktop-search-*.png")):
        size = png.stem.rsplit("-", 1)[1]
        target = share / f"icons/hicolor/{size}x{size}/apps/desktop-search.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, target)
    doc = share / "doc" / project.APP_NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"Desktop Search {project.version()}, MIT licence; bundled third-party components "
        "keep their own licences (see /opt/desktop-search/_internal/*.dist-info).\n"
    )
    control = staging / "DEBIAN"
    control.mkdir()
    depends = depends_field(glibc_minimum(bundle))
    (control / "control").write_text(
        f"Package: {project.APP_NAME}\n"
        f"Version: {project.version()}\n"
        f"Architecture: {project.deb_architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {_tree_size_kib(staging)}\n"
        f"Depends: {depends}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(staging), str(out)],
        check=True,
    )
    return out


def _install(source: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, folder / source.name)


def main() -> int:
    bundle = project.BUNDLE_DIR
    if not (bundle / project.APP_NAME).is_file():
        print(f"{bundle}: no bundle; run PyInstaller first (make package)", file=sys.stderr)
        return 1
    stem = project.artefact_stem()
    made = [
        tarball(bundle, project.DIST / f"{stem}.tar.gz"),
        deb(
            bundle,
            project.DIST
            / f"{project.APP_NAME}_{project.version()}_{project.deb_architecture()}.deb",
            project.BUILD / "deb-root",
        ),
    ]
    print(f"bundle {project.APP_NAME}/: {_tree_size_kib(bundle) / 1024:.0f} MiB")
    for path in made:
        print(f"{path.name}: {path.stat().st_size / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
