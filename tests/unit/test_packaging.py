"""The packaging scripts' own logic (the frozen app itself is tested by `make package-test`)."""

from __future__ import annotations

import configparser
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import icons  # noqa: E402
import linux  # noqa: E402
import project  # noqa: E402
import slim  # noqa: E402
import smoke_test  # noqa: E402

import desktop_app  # noqa: E402


def test_version_is_read_from_pyproject_and_matches_the_installed_app() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        declared = tomllib.load(f)["project"]["version"]
    assert project.version() == declared == desktop_app.__version__
    assert project.artefact_stem().startswith(f"desktop-search-{declared}-linux-")


def test_duplicate_libraries_become_symlinks_to_the_soname(tmp_path: Path) -> None:
    payload = b"\x7fELF" + bytes(range(256)) * 40
    for name in ("libfoo.so", "libfoo.so.1", "libfoo.so.1.2.3"):
        (tmp_path / name).write_bytes(payload)
    (tmp_path / "libbar.so.2").write_bytes(payload + b"different")
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "libfoo.so.1").write_bytes(payload)  # same bytes, other folder: left alone

    saved = slim.link_duplicate_libraries(tmp_path)

    assert saved == 2 * len(payload)
    assert not (tmp_path / "libfoo.so.1").is_symlink()
    for name in ("libfoo.so", "libfoo.so.1.2.3"):
        link = tmp_path / name
        assert link.is_symlink() and link.readlink() == Path("libfoo.so.1")
        assert link.read_bytes() == payload
    assert not (tmp_path / "libbar.so.2").is_symlink()
    assert not (other / "libfoo.so.1").is_symlink()


def test_vendored_libraries_nothing_links_to_are_dropped(tmp_path: Path) -> None:
    libs = tmp_path / "opencv_python.libs"
    libs.mkdir()
    links = {
        "cv2.abi3.so": ["libQt5Gui-1.so.5", "libc.so.6"],
        "libQt5Gui-1.so.5": ["libQt5Core-2.so.5", "libxcb-shm-3.so.0"],
        "libQt5XcbQpa-4.so.5": ["libQt5Gui-1.so.5", "libxcb-icccm-5.so.4"],
    }
    for name in ("libQt5Gui-1.so.5", "libQt5Core-2.so.5", "libxcb-shm-3.so.0"):
        (libs / name).write_bytes(b"kept")
    for name in ("libQt5XcbQpa-4.so.5", "libxcb-icccm-5.so.4"):
        (libs / name).write_bytes(b"dropped!")
        (tmp_path / name).symlink_to(Path("opencv_python.libs") / name)
    (tmp_path / "libQt5Gui-1.so.5").symlink_to(Path("opencv_python.libs") / "libQt5Gui-1.so.5")
    (tmp_path / "cv2").mkdir()
    root = tmp_path / "cv2" / "cv2.abi3.so"
    root.write_bytes(b"")

    saved = slim.drop_unlinked_vendored(
        tmp_path, "opencv_python.libs", [root], lambda path: links.get(path.name, [])
    )

    assert saved == 2 * len(b"dropped!")
    assert sorted(p.name for p in libs.iterdir()) == [
        "libQt5Core-2.so.5",
        "libQt5Gui-1.so.5",
        "libxcb-shm-3.so.0",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_symlink()) == ["libQt5Gui-1.so.5"]
    assert slim.drop_unlinked_vendored(tmp_path, "missing.libs", [root], lambda _: []) == 0


def test_smoke_test_fails_on_an_unexpected_stderr_line() -> None:
    def judge(stdout: str) -> tuple[bool, str]:
        return stdout.strip() == "fine", stdout.strip()

    env = smoke_test._environment(Path("/tmp"))
    script = "import sys; print('fine'); print({!r}, file=sys.stderr)"
    allowed = smoke_test._run(
        "allowed",
        [sys.executable, "-c", script.format("This plugin does not support propagateSizeHints()")],
        env,
        judge,
    )
    assert allowed.ok, allowed.detail
    surprise = smoke_test._run(
        "surprise",
        [sys.executable, "-c", script.format("Cannot load library libxcb-cursor.so.0")],
        env,
        judge,
    )
    assert not surprise.ok
    assert surprise.unexpected_stderr == ["Cannot load library libxcb-cursor.so.0"]
    failing = smoke_test._run("exit", [sys.executable, "-c", "raise SystemExit(3)"], env, judge)
    assert not failing.ok and "exit status 3" in failing.detail


def test_smoke_test_environment_hides_the_development_setup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("VIRTUAL_ENV", "/venv")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/lib/extra")
    env = smoke_test._environment(Path("/tmp/h"))
    assert not {"PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "DESKTOP_SEARCH_HOME"} & set(env)
    assert env["HOME"] == "/tmp/h" and env["QT_QPA_PLATFORM"] == "offscreen"


def test_desktop_entry_launches_the_installed_command() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "resources" / "desktop-search.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    with (ROOT / "pyproject.toml").open("rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] in scripts
    assert section["Icon"] == "desktop-search"
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")


def test_icons_are_rendered_for_every_platform(tmp_path: Path, qapp: object) -> None:
    from PIL import Image

    # qapp: the suite's QApplication must exist first, or icons.py would make a QGuiApplication.
    made = icons.make_icons(ROOT / "resources" / "icons" / "desktop-search.svg", tmp_path)
    with Image.open(made["png"]) as png:
        assert png.size == (256, 256)
        assert png.getpixel((128, 128))[3] == 255  # the middle is painted, not transparent
        assert png.getpixel((0, 0))[3] == 0  # the rounded corner is
    with Image.open(made["ico"]) as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    with Image.open(made["icns"]) as icns:
        assert icns.format == "ICNS"


def test_glibc_minimum_is_read_from_the_binaries(tmp_path: Path) -> None:
    import llama_cpp

    lib = Path(llama_cpp.__file__).parent / "lib"
    minimum = linux.glibc_minimum(lib)
    major, minor = map(int, minimum.split(".")[:2])
    assert (major, minor) >= (2, 17)
    assert linux.glibc_minimum(tmp_path / "empty-does-not-exist") == "2.17"


# -- the .deb's Depends against what the bundled Qt platform plugins link to -----------------


def test_system_libraries_are_followed_through_the_bundled_ones(tmp_path: Path) -> None:
    links = {
        "libqxcb.so": ["libQt6XcbQpa.so.6", "libxcb-cursor.so.0", "libc.so.6"],
        "libQt6XcbQpa.so.6": ["libQt6Gui.so.6", "libxcb-icccm.so.4"],
        "libQt6Gui.so.6": ["libQt6XcbQpa.so.6", "libEGL.so.1", "libfontconfig.so.1"],
        "libfontconfig.so.1": ["libexpat.so.1"],  # bundled: what it needs counts too
    }
    bundled = {name: tmp_path / name for name in links if name != "libqxcb.so"}
    outside = smoke_test.system_libraries(
        [tmp_path / "libqxcb.so"], bundled, lambda path: links[path.name]
    )
    assert outside == {
        "libxcb-cursor.so.0": "libqxcb.so",
        "libc.so.6": "libqxcb.so",
        "libxcb-icccm.so.4": "libQt6XcbQpa.so.6",
        "libEGL.so.1": "libQt6Gui.so.6",
        "libexpat.so.1": "libfontconfig.so.1",
    }


def test_dpkg_search_output_gives_the_owning_packages() -> None:
    output = (
        "libxcb1:amd64: /usr/lib/x86_64-linux-gnu/libxcb.so.1\n"
        "libxcb1:i386: /usr/lib/i386-linux-gnu/libxcb.so.1\n"
        "libxcb1-dev:amd64: /usr/lib/x86_64-linux-gnu/libxcb.so.1.debug-link/libxcb.so\n"
        "diversion by foo from: /usr/lib/x86_64-linux-gnu/libxcb.so.1\n"
        "libgl1, libgl1-mesa-glx: /usr/lib/x86_64-linux-gnu/libxcb.so.1\n"
    )
    assert smoke_test.parse_dpkg_search(output, "libxcb.so.1") == {
        "libxcb1",
        "libgl1",
        "libgl1-mesa-glx",
    }
    assert smoke_test.parse_dpkg_search("", "libxcb.so.1") == set()


def test_depends_field_names_are_parsed_without_versions_or_architectures() -> None:
    field = "libc6 (>= 2.34), libgl1 | libgl1-mesa-glx, libxcb1:amd64,libegl1 (>= 1.0)\n"
    expected = {"libc6", "libgl1", "libgl1-mesa-glx", "libxcb1", "libegl1"}
    assert smoke_test.parse_depends(field) == expected


def test_undeclared_libraries_name_the_package_to_declare() -> None:
    owners = {"libglib-2.0.so.0": {"libglib2.0-0t64"}, "libfoo.so.1": {"libfoo1"}}
    problems = smoke_test.undeclared_libraries(
        {
            "libglib-2.0.so.0": "libQt6Core.so.6",  # renamed package here, the table's declared
            "libxcb-cursor.so.0": "libqxcb.so",  # from the table, not declared
            "libfoo.so.1": "libqxcb.so",  # only dpkg knows it, declared
            "libnobody.so.3": "libQt6Gui.so.6",  # nobody knows it
        },
        {"libc6", "libglib2.0-0", "libfoo1"},
        lambda name: owners.get(name, set()),
    )
    assert problems == {
        "libnobody.so.3": "needed by libQt6Gui.so.6; no package known (add it to qt_deps)",
        "libxcb-cursor.so.0": "needed by libqxcb.so; declare libxcb-cursor0",
    }


def test_deb_depends_cover_every_system_library_of_the_wheels_platform_plugins() -> None:
    """The wheel's Qt as the bundle: the .deb's Depends must cover what its xcb and Wayland
    plugins link to outside it (by the table alone, so it holds on any build machine)."""
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    plugins = [
        path
        for pattern in smoke_test.PLATFORM_PLUGINS
        for path in (qt / "plugins" / "platforms").glob(pattern)
    ]
    assert {p.name for p in plugins} >= {"libqxcb.so"}
    libraries = smoke_test.system_libraries(plugins, smoke_test.bundled_libraries(qt))
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= set(libraries)
    depends = smoke_test.parse_depends(linux.depends_field("2.34"))
    assert smoke_test.undeclared_libraries(libraries, depends, lambda _: set()) == {}
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"} <= depends
    # and the check fails when one is left out
    trimmed = depends - {"libxcb-cursor0"}
    assert list(smoke_test.undeclared_libraries(libraries, trimmed, lambda _: set())) == [
        "libxcb-cursor.so.0"
    ]
