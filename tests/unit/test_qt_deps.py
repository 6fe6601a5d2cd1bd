"""The check that Qt's xcb plugin can load, and the install command it prints when not."""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app import qt_deps

FAKE = "libdsfake-xyz.so.0"  # the same length as the name it replaces in the plugin copy

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd6a5f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f1)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f823df47000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f823c21e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f823e0bb000)
"""


def _real_plugin() -> Path:
    plugin = qt_deps.xcb_plugin({})
    assert plugin is not None and plugin.name == "libqxcb.so", plugin
    return plugin


def _plugin_needing_a_library_nobody_has(tmp_path: Path) -> Path:
    """A copy of the real plugin whose link to libxcb-cursor names a library that does not
    exist; beside it a ``lib`` link to the wheel's Qt, where its RUNPATH looks."""
    real = _real_plugin()
    platforms = tmp_path / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (tmp_path / "lib").symlink_to(real.parents[2] / "lib")
    data = real.read_bytes()
    original = b"libxcb-cursor.so.0\0"
    assert data.count(original) == 1 and len(original) == len(FAKE) + 1
    copy = platforms / "libqxcb.so"
    copy.write_bytes(data.replace(original, FAKE.encode() + b"\0"))
    return copy


def _executables(folder: Path, *names: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(folder)


def test_ldd_output_gives_the_missing_libraries_once_in_order() -> None:
    assert qt_deps.parse_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert qt_deps.parse_ldd("\tstatically linked\n") == []
    assert qt_deps.parse_ldd("") == []


@pytest.mark.parametrize(
    ("manager", "command"),
    [
        ("apt", "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-randr0 libxcb-shape0"),
        ("dnf", "sudo dnf install xcb-util-wm xcb-util-keysyms libxcb"),
        ("pacman", "sudo pacman -S --needed xcb-util-wm xcb-util-keysyms libxcb"),
    ],
)
def test_install_command_per_package_manager(manager: str, command: str) -> None:
    missing = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-randr.so.0", "libxcb-shape.so.0"]
    assert qt_deps.install_advice(missing, manager) == f"Install them with: {command}"


def test_unknown_machine_gets_every_command_and_unknown_libraries_a_lookup() -> None:
    advice = qt_deps.install_advice(["libxcb-cursor.so.0", FAKE, "libQt6Gui.so.6"], None)
    assert "sudo apt-get install libxcb-cursor0" in advice
    assert "sudo dnf install xcb-util-cursor" in advice
    assert "sudo pacman -S --needed xcb-util-cursor" in advice
    assert f"No package is known for {FAKE}: find it with apt-file search {FAKE}" in advice
    assert "libQt6Gui.so.6 belong(s) to PySide6 itself: reinstall PySide6-Essentials" in advice
    assert "libQt6Gui.so.6" not in advice.split("Install them with:")[1].split(".")[0]


def test_package_manager_is_the_first_one_on_the_path(tmp_path: Path) -> None:
    debian = _executables(tmp_path / "debian", "apt-get", "dpkg")
    arch = _executables(tmp_path / "arch", "pacman")
    fedora = _executables(tmp_path / "fedora", "dnf")
    assert qt_deps.package_manager(debian) == "apt"
    assert qt_deps.package_manager(arch) == "pacman"
    assert qt_deps.package_manager(os.pathsep.join([fedora, arch])) == "dnf"
    assert qt_deps.package_manager(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize(
    ("environ", "system", "expected"),
    [
        ({}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb:no_glx_integration"}, "linux", True),
        ({"QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux", False),
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "linux", True),
        ({}, "darwin", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "win32", False),
    ],
)
def test_only_checked_where_qt_loads_the_xcb_plugin(
    environ: dict[str, str], system: str, expected: bool
) -> None:
    assert qt_deps.uses_xcb(environ, system) is expected


def test_elf_needed_reads_what_the_plugin_links_to() -> None:
    needed = qt_deps.elf_needed(_real_plugin())
    assert needed[0] == "libQt6XcbQpa.so.6"
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= set(needed)
    assert "libc.so.6" in needed


def test_every_system_library_of_the_xcb_plugin_has_packages() -> None:
    """Followed through the wheel's Qt libraries: whatever the loader could miss has a name."""
    plugin = _real_plugin()
    qt_lib = plugin.parents[2] / "lib"
    todo, seen, system = [plugin], set(), set()
    while todo:
        for name in qt_deps.elf_needed(todo.pop()):
            if (qt_lib / name).is_file():
                if name not in seen:
                    seen.add(name)
                    todo.append(qt_lib / name)
            else:
                system.add(name)
    assert "libQt6Gui.so.6" in seen and "libxcb-cursor.so.0" in system
    assert sorted(system - set(qt_deps.PACKAGES)) == []
    for name in system:
        assert set(qt_deps.PACKAGES[name]) == set(qt_deps.MANAGERS)


def test_real_plugin_check_agrees_with_the_dynamic_loader() -> None:
    """Whatever this machine has installed, a library is reported missing exactly when the
    dynamic loader cannot open it."""
    plugin = _real_plugin()
    missing = qt_deps.missing_libraries([plugin])
    assert missing is not None
    qt_lib = plugin.parents[2] / "lib"
    for name in qt_deps.elf_needed(plugin):
        if (qt_lib / name).is_file():
            continue
        try:
            ctypes.CDLL(name)
            loads = True
        except OSError:
            loads = False
        assert (name in missing) is not loads, (name, missing)


def test_a_library_nobody_has_is_reported_with_a_lookup(tmp_path: Path) -> None:
    copy = _plugin_needing_a_library_nobody_has(tmp_path)
    missing = qt_deps.missing_libraries([copy])
    assert missing is not None and FAKE in missing
    assert "libxcb-cursor.so.0" not in missing  # the copy no longer links to it
    environ = {
        "QT_QPA_PLATFORM": "xcb",
        "QT_QPA_PLATFORM_PLUGIN_PATH": str(copy.parent),
        "PATH": _executables(tmp_path / "bin", "pacman"),
    }
    message = qt_deps.problem(environ, "linux")
    assert message is not None
    assert message.startswith(f"Qt needs system libraries that are missing: {FAKE}")
    assert f"find it with pacman -F {FAKE}" in message
    assert qt_deps.problem({**environ, "QT_QPA_PLATFORM": "offscreen"}, "linux") is None


def _run(argv: list[str], tmp_path: Path, plugin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QT_", "DISPLAY", "WAYLAND", "XDG_SESSION"))
    }
    env.update(
        QT_QPA_PLATFORM="xcb",
        QT_QPA_PLATFORM_PLUGIN_PATH=str(plugin_dir),
        PATH=os.pathsep.join([_executables(tmp_path / "bin", "apt-get"), env.get("PATH", "")]),
    )
    return subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_gui_refuses_to_start_and_names_the_install_command(tmp_path: Path) -> None:
    """The app's GUI entry and ``make run``'s check, each in a process of its own."""
    copy = _plugin_needing_a_library_nobody_has(tmp_path)
    for argv in (["-m", "desktop_app.qt_deps"], ["-m", "desktop_app", "gui"]):
        done = _run(argv, tmp_path, copy.parent)
        assert done.returncode == 1, (argv, done.stdout, done.stderr)
        assert done.stderr.startswith(
            f"desktop-search: error: Qt needs system libraries that are missing: {FAKE}"
        ), done.stderr
        assert f"apt-file search {FAKE}" in done.stderr
        assert "Could not load the Qt platform plugin" not in done.stderr  # Qt never started


def test_check_passes_when_every_library_is_there(tmp_path: Path) -> None:
    """The interpreter itself, in the plugin's place, links only to libraries this machine has."""
    folder = tmp_path / "platforms"
    folder.mkdir()
    shutil.copy(os.path.realpath(sys.executable), folder / "libqxcb.so")
    assert qt_deps.missing_libraries([folder / "libqxcb.so"]) == []
    done = _run(["-m", "desktop_app.qt_deps"], tmp_path, folder)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_readme_install_lines_name_every_display_package_the_plugin_needs() -> None:
    """The README's apt / dnf / pacman lines against the wheel's plugin and the table."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    lines = {
        manager: next(
            line.split(prefix, 1)[1].split()
            for line in readme.splitlines()
            if line.startswith(prefix)
        )
        for manager, (_, prefix) in qt_deps.MANAGERS.items()
    }
    plugin = _real_plugin()
    qt_lib = plugin.parents[2] / "lib"
    display = {
        name
        for binary in (plugin, qt_lib / "libQt6XcbQpa.so.6", qt_lib / "libQt6Gui.so.6")
        for name in qt_deps.elf_needed(binary)
        if name.startswith(("libxcb", "libX11", "libxkbcommon", "libGL", "libEGL", "libfont"))
    }
    assert "libxcb-cursor.so.0" in display and "libfontconfig.so.1" in display
    for manager, packages in lines.items():
        expected = {qt_deps.PACKAGES[name][manager] for name in display}
        assert sorted(expected - set(packages)) == [], manager
        known = {row[manager] for row in qt_deps.PACKAGES.values()}
        assert sorted(set(packages) - known) == [], manager  # no typo the table does not know
