"""The guard that fails tests reading beside the checkout (tests/helpers/outside_reads.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers.outside_reads import Boundary, Guard

ROOT = Path(__file__).resolve().parents[2]


def test_sibling_of_the_checkout_is_outside_and_the_checkout_is_not() -> None:
    boundary = Boundary("/home/dev/main")
    assert boundary.is_outside("/home/dev/devdata/reference/vectors.json")
    assert boundary.is_outside("/home/dev/main-old/tests/data/x.json")  # a prefix is not inside
    assert boundary.is_outside("/home/dev")  # listing the parent shows the siblings
    assert not boundary.is_outside("/home/dev/main/tests/data/x.json")
    assert not boundary.is_outside("/home/dev/main")
    assert not boundary.is_outside("/home/dev/main/.venv/lib/python3.11/site-packages/x.py")
    assert not boundary.is_outside("/usr/lib/python3.11/json/__init__.py")
    assert not boundary.is_outside("/tmp/pytest-of-me/pytest-3/test_x0/file")
    assert not boundary.is_outside("/proc/self/status")


def test_relative_paths_are_resolved_against_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "parent" / "checkout"
    (checkout / "tests").mkdir(parents=True)
    boundary = Boundary(checkout)
    monkeypatch.chdir(checkout / "tests")
    assert boundary.is_outside("../../devdata/x.json")
    assert not boundary.is_outside("../data/x.json")


def test_exemptions_count_only_inside_the_parent() -> None:
    # The checkout in the home folder: the libraries' dot folders there are fine, a sibling
    # project is not, and an exempt folder that contains the parent cannot switch the rule off.
    boundary = Boundary(
        "/home/me/desktop-search",
        exempt=["/home/me/venvs/ds", "/home", "/"],
        exempt_children=[("/home/me", (".",)), ("/home", ("me",))],
    )
    assert not boundary.is_outside("/home/me/.cache/fontconfig/x")
    assert not boundary.is_outside("/home/me/venvs/ds/lib/python3.11/site.py")
    assert boundary.is_outside("/home/me/devdata/reference.json")
    assert boundary.is_outside("/home/me/venvs/other/x")
    assert boundary.exempt == ("/home/me/venvs/ds",)
    assert [folder for folder, _ in boundary.exempt_children] == ["/home/me"]


def test_checkout_at_the_root_exempts_the_system_folders() -> None:
    boundary = Boundary("/src", exempt=["/usr", "/tmp", "/proc"])
    assert boundary.is_outside("/devdata/reference.json")
    assert not boundary.is_outside("/usr/lib/x86_64-linux-gnu/libxcb.so.1")
    assert not boundary.is_outside("/proc/self/maps")
    assert not boundary.is_outside("/src/tests/data/x.json")


def test_checkout_in_the_temp_dir_keeps_pytest_and_tempfile_folders() -> None:
    boundary = Boundary("/tmp/clone", exempt_children=[("/tmp", ("tmp", "pytest-of-"))])
    assert not boundary.is_outside("/tmp/pytest-of-me/pytest-1/test_a0/f")
    assert not boundary.is_outside("/tmp/tmpab12cd/f")
    assert boundary.is_outside("/tmp/devdata/reference.json")


def test_the_hook_records_reads_of_every_path_type(tmp_path: Path) -> None:
    """The audit hook's argument handling, fed the events the interpreter sends."""
    guard = Guard(Boundary(tmp_path / "checkout"))
    guard.current_test = "t::x"
    sibling = tmp_path / "devdata" / "x"
    guard._hook("open", (str(sibling), "r", 0))
    guard._hook("open", (os.fsencode(sibling), "r", 0))
    guard._hook("os.scandir", (sibling.parent,))
    guard._hook("open", (3, "r", 0))  # a file descriptor names no path
    guard._hook("os.listdir", (None,))  # the current folder
    guard._hook("os.remove", (str(sibling), -1))  # not a read
    guard._hook("open", (str(tmp_path / "checkout" / "a.txt"), "r", 0))
    assert [(r.event, r.path, r.test) for r in guard.reads] == [
        ("open", str(sibling), "t::x"),
        ("open", str(sibling), "t::x"),
        ("os.scandir", str(sibling.parent), "t::x"),
    ]


def _run_inner_suite(tmp_path: Path, tests: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A checkout of its own with the guard enabled, beside a ``devdata`` folder, run by pytest."""
    work = tmp_path / "work"
    checkout = work / "checkout"
    (checkout / "checks").mkdir(parents=True)
    (work / "devdata").mkdir()
    (work / "devdata" / "reference.json").write_text("{}")
    (checkout / "data.json").write_text("{}")
    (checkout / "pytest.ini").write_text("[pytest]\n")
    (checkout / "conftest.py").write_text('pytest_plugins = ["tests.helpers.outside_reads"]\n')
    for name, body in tests.items():
        (checkout / "checks" / name).write_text(textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", "checks",
         f"--basetemp={tmp_path / 'inner-tmp'}"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_guard_fails_the_tests_that_read_beside_the_checkout(tmp_path: Path) -> None:
    done = _run_inner_suite(
        tmp_path,
        {
            "test_reads.py": """
                import json, os, sys
                from pathlib import Path

                import pytest

                CHECKOUT = Path(__file__).resolve().parents[1]

                def test_reads_the_devdata_folder():
                    json.loads((CHECKOUT.parent / "devdata" / "reference.json").read_text())

                def test_lists_the_devdata_folder():
                    assert os.listdir("../devdata") == ["reference.json"]

                @pytest.fixture
                def reference():
                    return open("../devdata/reference.json").read()

                def test_fixture_reads_the_devdata_folder(reference):
                    assert reference == "{}"

                def test_reads_only_allowed_places(tmp_path):
                    assert (CHECKOUT / "data.json").read_text() == "{}"
                    (tmp_path / "out.txt").write_text("x")
                    assert (tmp_path / "out.txt").read_text() == "x"
                    assert open("/proc/self/status").read()
                    assert os.listdir(os.path.dirname(json.__file__))
            """,
        },
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "FAILED checks/test_reads.py::test_reads_the_devdata_folder" in out
    assert "FAILED checks/test_reads.py::test_lists_the_devdata_folder" in out
    assert "ERROR checks/test_reads.py::test_fixture_reads_the_devdata_folder" in out
    assert "PASSED checks/test_reads.py::test_reads_only_allowed_places" in out
    devdata = str(tmp_path / "work" / "devdata")
    assert f"open '{devdata}/reference.json' during checks/test_reads.py::" in out
    assert f"os.listdir '{devdata}'" in out
    assert "(from checks/test_reads.py:10)" in out  # the line that read it


def test_guard_fails_the_session_for_a_read_at_collection(tmp_path: Path) -> None:
    done = _run_inner_suite(
        tmp_path,
        {
            "test_module_level.py": """
                from pathlib import Path

                VECTORS = (Path(__file__).resolve().parents[2] / "devdata" / "reference.json")
                TEXT = VECTORS.read_text()

                def test_passes():
                    assert TEXT == "{}"
            """,
        },
    )
    assert "1 passed" in done.stdout
    assert done.returncode == 1, done.stdout + done.stderr
    assert "reads outside the checkout" in done.stdout
    assert "outside any test" in done.stdout


def test_clean_suite_passes(tmp_path: Path) -> None:
    done = _run_inner_suite(
        tmp_path, {"test_clean.py": "def test_ok(tmp_path):\n    (tmp_path / 'a').write_text('')\n"}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reads outside the checkout" not in done.stdout
