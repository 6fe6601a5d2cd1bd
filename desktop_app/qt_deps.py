"""Before Qt starts on Linux/X11: are the system libraries of its xcb platform plugin installed?

PySide6's wheels bundle Qt but not the X11 client libraries its ``xcb`` platform plugin links
to. Since Qt 6.5 that includes ``libxcb-cursor.so.0``, which a plain Debian or Ubuntu install
lacks (as it may lack ``libxcb-icccm4`` and ``libxcb-keysyms1``); Qt then aborts with "Could
not load the Qt platform plugin "xcb"", which names neither the library nor the package. This
module asks the dynamic loader (``ldd`` on ``libqxcb.so``, about 20 ms, no Qt import) which
libraries cannot be found, and names the one command that installs them for the machine's
package manager. ``make run`` runs it first (``python -m desktop_app.qt_deps``) and the GUI
entry of the CLI does too, so the installed app says the same.

The check only applies where Qt will load the xcb plugin: on Linux, unless ``QT_QPA_PLATFORM``
names another platform (``offscreen``, ``wayland``, ...) or the session is a Wayland one.
:func:`elf_needed` and :data:`PACKAGES` also serve ``make package-test``, which checks that
the ``.deb`` declares every library the bundled plugin needs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Package managers, in the order they are looked for on ``PATH``, and their install command.
MANAGERS = {
    "apt": ("apt-get", "sudo apt-get install"),
    "dnf": ("dnf", "sudo dnf install"),
    "pacman": ("pacman", "sudo pacman -S --needed"),
}

# soname -> package (apt: Debian/Ubuntu, dnf: Fedora/RHEL, pacman: Arch). Every library the xcb
# plugin and the Qt libraries it loads link to outside the wheel, read off PySide6 6.x with
# ldd; packages checked against each distribution's file lists.
_TABLE = (
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image", "xcb-util-image"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil",
     "xcb-util-renderutil"),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util", "xcb-util"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb", "libxcb"),
    ("libxcb-sync.so.1", "libxcb-sync1", "libxcb", "libxcb"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb", "libxcb"),
    ("libxcb-render.so.0", "libxcb-render0", "libxcb", "libxcb"),
    ("libxcb-shm.so.0", "libxcb-shm0", "libxcb", "libxcb"),
    ("libxcb-xinput.so.0", "libxcb-xinput0", "libxcb", "libxcb"),
    ("libxcb-glx.so.0", "libxcb-glx0", "libxcb", "libxcb"),
    ("libxcb.so.1", "libxcb1", "libxcb", "libxcb"),
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb", "libx11"),
    ("libX11.so.6", "libx11-6", "libX11", "libx11"),
    ("libXau.so.6", "libxau6", "libXau", "libxau"),
    ("libXdmcp.so.6", "libxdmcp6", "libXdmcp", "libxdmcp"),
    ("libSM.so.6", "libsm6", "libSM", "libsm"),
    ("libICE.so.6", "libice6", "libICE", "libice"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    ("libGL.so.1", "libgl1", "libglvnd-glx", "libglvnd"),
    ("libGLX.so.0", "libglx0", "libglvnd-glx", "libglvnd"),
    ("libOpenGL.so.0", "libopengl0", "libglvnd-opengl", "libglvnd"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl", "libglvnd"),
    ("libGLdispatch.so.0", "libglvnd0", "libglvnd", "libglvnd"),
    ("libwayland-client.so.0", "libwayland-client0", "libwayland-client", "wayland"),
    ("libwayland-cursor.so.0", "libwayland-cursor0", "libwayland-cursor", "wayland"),
    ("libwayland-egl.so.1", "libwayland-egl1", "libwayland-egl", "wayland"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig", "fontconfig"),
    ("libfreetype.so.6", "libfreetype6", "freetype", "freetype2"),
    ("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", "dbus"),
    ("libglib-2.0.so.0", "libglib2.0-0", "glib2", "glib2"),
    ("libgthread-2.0.so.0", "libglib2.0-0", "glib2", "glib2"),
    ("libgobject-2.0.so.0", "libglib2.0-0", "glib2", "glib2"),
    ("libpng16.so.16", "libpng16-16", "libpng", "libpng"),
    ("libexpat.so.1", "libexpat1", "expat", "expat"),
    ("libz.so.1", "zlib1g", "zlib", "zlib"),
    ("libzstd.so.1", "libzstd1", "libzstd", "zstd"),
    ("libstdc++.so.6", "libstdc++6", "libstdc++", "gcc-libs"),
    ("libgcc_s.so.1", "libgcc-s1", "libgcc", "gcc-libs"),
)  # fmt: skip
_GLIBC = (
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld-linux-armhf.so.3", "ld-linux.so.2",
)  # fmt: skip
PACKAGES: dict[str, dict[str, str]] = {
    **{row[0]: dict(zip(MANAGERS, row[1:], strict=True)) for row in _TABLE},
    **{name: {"apt": "libc6", "dnf": "glibc", "pacman": "glibc"} for name in _GLIBC},
}

#: How to find the package of a library the table does not know, per package manager.
LOOKUP_HINT = {
    "apt": "apt-file search {}",
    "dnf": "dnf provides '*/{}'",
    "pacman": "pacman -F {}",
}

#: Libraries that ship inside the PySide6 wheel: missing means a broken install, not a package.
_WHEEL_LIBRARY = re.compile(r"^lib(Qt6|pyside6|shiboken6)", re.IGNORECASE)

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")


def uses_xcb(environ: Mapping[str, str], system: str = sys.platform) -> bool:
    """Whether Qt will load its xcb plugin in this environment."""
    if not system.startswith("linux"):
        return False
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:  # "xcb", "xcb:option", "wayland;xcb" (the first one that loads is used)
        return requested.split(";")[0].split(":")[0].strip() == "xcb"
    # In a Wayland session Qt 6 loads its Wayland plugin (xcb is only the fallback there).
    return not (environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY"))


def _pyside_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing Qt
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    frozen = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle keeps it beside the app
    return Path(frozen) / "PySide6" if frozen else None


def xcb_plugin(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The ``libqxcb.so`` Qt will load: from ``QT_QPA_PLATFORM_PLUGIN_PATH`` first, as Qt does."""
    candidates = []
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        candidates.append(Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"]) / "libqxcb.so")
    pyside = _pyside_dir()
    if pyside is not None:
        candidates.append(pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so")
    return next((path for path in candidates if path.is_file()), None)


def parse_ldd(output: str) -> list[str]:
    """The libraries ``ldd`` reports as ``not found``, in its order, each once."""
    found = (m.group(1) for line in output.splitlines() if (m := _NOT_FOUND.match(line)))
    return list(dict.fromkeys(found))


def missing_libraries(binaries: Sequence[Path]) -> list[str] | None:
    """Libraries the dynamic loader cannot find for ``binaries`` (with everything they pull
    in); None when it cannot be told (no ``ldd``)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    missing: dict[str, None] = {}
    for binary in binaries:
        done = subprocess.run(
            [ldd, str(binary)], capture_output=True, text=True, timeout=30, check=False
        )
        missing.update(dict.fromkeys(parse_ldd(done.stdout)))
    return list(missing)


def package_manager(search_path: str | None = None) -> str | None:
    """The package manager of this machine (the first one on ``PATH``), or None."""
    for manager, (executable, _) in MANAGERS.items():
        if shutil.which(executable, path=search_path) is not None:
            return manager
    return None


def install_advice(missing: Sequence[str], manager: str | None) -> str:
    """What to run: one install command (every manager's when the machine's is unknown), then
    how to look up any library the table does not know, or a reinstall for Qt's own."""
    wheel = [name for name in missing if _WHEEL_LIBRARY.match(name)]
    system = [name for name in missing if name not in wheel]
    known = [name for name in system if name in PACKAGES]
    unknown = [name for name in system if name not in PACKAGES]
    managers = [manager] if manager in MANAGERS else list(MANAGERS)
    parts = []
    if known:
        commands = []
        for each in managers:
            packages = dict.fromkeys(PACKAGES[name][each] for name in known)
            commands.append(f"{MANAGERS[each][1]} {' '.join(packages)}")
        parts.append("Install them with: " + "   or: ".join(commands))
    for name in unknown:
        hints = " or ".join(LOOKUP_HINT[each].format(name) for each in managers)
        parts.append(f"No package is known for {name}: find it with {hints}")
    if wheel:
        parts.append(
            f"{', '.join(wheel)} belong(s) to PySide6 itself: reinstall PySide6-Essentials "
            "(or the app)"
        )
    return ". ".join(parts)


def problem(environ: Mapping[str, str] = os.environ, system: str = sys.platform) -> str | None:
    """The message for the user when Qt's xcb plugin would fail to load, else None."""
    if not uses_xcb(environ, system):
        return None
    plugin = xcb_plugin(environ)
    if plugin is None:
        return None  # no xcb plugin at all: Qt's own message is as good as ours
    missing = missing_libraries([plugin])
    if not missing:
        return None
    advice = install_advice(missing, package_manager(environ.get("PATH")))
    return f"Qt needs system libraries that are missing: {', '.join(missing)}. {advice}"


def elf_needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` entries of an ELF file (what it links to), read without binutils."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    wide = data[4] == 2  # ELFCLASS64
    end = "<" if data[5] == 1 else ">"
    if wide:
        shoff, shentsize, shnum = (
            struct.unpack_from(end + "Q", data, 0x28)[0],
            *struct.unpack_from(end + "HH", data, 0x3A),
        )
        section, entry = end + "IIQQQQIIQQ", end + "qQ"
    else:
        shoff, shentsize, shnum = (
            struct.unpack_from(end + "I", data, 0x20)[0],
            *struct.unpack_from(end + "HH", data, 0x2E),
        )
        section, entry = end + "IIIIIIIIII", end + "iI"
    sections = [struct.unpack_from(section, data, shoff + i * shentsize) for i in range(shnum)]
    needed = []
    for header in sections:
        if header[1] != 6:  # SHT_DYNAMIC
            continue
        offset, size, link = header[4], header[5], header[6]
        strings = sections[link][4]
        for at in range(offset, offset + size, struct.calcsize(entry)):
            tag, value = struct.unpack_from(entry, data, at)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                name_end = data.index(b"\0", strings + value)
                needed.append(data[strings + value : name_end].decode())
    return needed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m desktop_app.qt_deps``: exit 1 with the advice when libraries are missing."""
    del argv  # no options: it checks what the app would load, in this environment
    message = problem()
    if message is None:
        return 0
    print(f"desktop-search: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
