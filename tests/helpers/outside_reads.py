"""Fail any test that reads a file beside the checkout, such as a development data folder.

``make test`` must pass on a fresh clone with nothing next to it. A test that reads a sibling
folder of the development machine (its reference vectors) passes there and fails for every
user, so this plugin (``pytest_plugins`` in ``tests/conftest.py``) watches the Python process's
``open``, ``os.listdir`` and ``os.scandir`` audit events and fails the test during which such
a path was read, and the session when it happened outside a test (at collection).

The rule, :class:`Boundary`: a path is an outside read when it lies inside the checkout's
*parent* folder but not inside the checkout. Everything else a test legitimately touches (the
interpreter and site-packages, ``/tmp`` and pytest's ``tmp_path``, ``/proc``, ``/dev``, the
libraries' caches in the home folder) lies elsewhere, except when the checkout sits in one of
those places itself (``~/project``, ``/tmp/clone``, ``/src``): the exemptions below cover that
and are only ever narrower than the parent, so they can never switch the rule off.

Audit hooks see this process only: a subprocess (the CLI tests' ``desktop-search``) is not
watched, and neither are reads by native libraries that bypass Python's file functions.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
import tempfile
import traceback
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The audit events that read a path: open() and os.open() (and io.open_code for imports),
#: and the two directory listings (os.walk, glob and pathlib's iterdir go through scandir).
AUDITED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})

#: Top-level system folders: only relevant when the checkout's parent is ``/`` (``/src``).
SYSTEM_DIRS = (
    "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/proc", "/sys",
    "/dev", "/run", "/var", "/tmp", "/snap", "/nix",
)  # fmt: skip

#: Names that tempfile, multiprocessing and pytest give their folders in the temp dir: only
#: relevant when the checkout itself lies directly in the temp dir (``/tmp/clone``).
TEMP_PREFIXES = (tempfile.gettempprefix(), "pytest-of-", "pymp-")


def _norm(path: str | os.PathLike[str]) -> str:
    return os.path.normpath(os.path.abspath(path))


def _inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies under it (both normalised, absolute)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


@dataclass(frozen=True)
class OutsideRead:
    """One read of a path beside the checkout: what, by which call, during which test."""

    event: str
    path: str
    test: str | None
    where: str

    def __str__(self) -> str:
        during = f" during {self.test}" if self.test else " outside any test"
        return f"{self.event} {self.path!r}{during} (from {self.where})"


class Boundary:
    """Which paths are outside reads; pure logic, so it is tested without audit hooks."""

    def __init__(
        self,
        checkout: str | os.PathLike[str],
        exempt: Iterable[str | os.PathLike[str]] = (),
        exempt_children: Iterable[tuple[str | os.PathLike[str], tuple[str, ...]]] = (),
    ) -> None:
        """``exempt``: folders to allow; ``exempt_children``: (folder, name prefixes) whose
        matching entries are allowed (home's dot folders). Either is kept only where it lies
        inside the checkout's parent (an ancestor of the parent would allow everything)."""
        lexical = _norm(checkout)
        self.checkouts = tuple(dict.fromkeys((lexical, os.path.realpath(lexical))))
        self.parents = tuple(dict.fromkeys(os.path.dirname(c) for c in self.checkouts))
        self.exempt = tuple(
            folder
            for folder in dict.fromkeys(_norm(e) for e in exempt)
            if any(_inside(folder, p) and folder != p for p in self.parents)
        )
        self.exempt_children = tuple(
            (folder, prefixes)
            for folder, prefixes in ((_norm(f), tuple(p)) for f, p in exempt_children)
            if any(_inside(folder, p) for p in self.parents)
        )

    def is_outside(self, path: str) -> bool:
        """``path`` (absolute or relative to the current folder) lies beside the checkout."""
        full = _norm(path)
        if not any(_inside(full, parent) for parent in self.parents):
            return False
        if any(_inside(full, checkout) for checkout in self.checkouts):
            return False
        if any(_inside(full, folder) for folder in self.exempt):
            return False
        for folder, prefixes in self.exempt_children:
            if full != folder and _inside(full, folder):
                first = full[len(folder.rstrip(os.sep)) + 1 :].split(os.sep, 1)[0]
                if first.startswith(prefixes):
                    return False
        return True


def default_exemptions(basetemp: str | None = None) -> list[str]:
    """Folders a test run reads by design: the interpreter, site-packages, temp and system."""
    folders = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    folders += [p for p in sysconfig.get_paths().values() if p]
    folders += [*site.getsitepackages(), site.getusersitepackages()]
    folders += [tempfile.gettempdir(), *SYSTEM_DIRS]
    folders += [
        os.environ[name]
        for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR")
        if os.environ.get(name)
    ]
    if basetemp:
        folders.append(basetemp)
    return folders


def default_exempt_children() -> list[tuple[str, tuple[str, ...]]]:
    """Home's dot folders (libraries' caches and configs) and the temp dir's own entries."""
    return [(str(Path.home()), (".",)), (tempfile.gettempdir(), TEMP_PREFIXES)]


def _path_argument(value: object) -> str | None:
    """The path an audit event names, or None for a file descriptor or the current folder."""
    if isinstance(value, int) or value is None:
        return None
    if isinstance(value, bytes):
        return os.fsdecode(value)
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fsdecode(os.fspath(value))
    return None


class Guard:
    """The audit hook: records each outside read with the test running at the time.

    Audit hooks cannot be removed, so a guard is installed once per process and only records;
    the pytest hooks below turn the records into failures.
    """

    def __init__(self, boundary: Boundary) -> None:
        self.boundary = boundary
        self.reads: list[OutsideRead] = []
        self.current_test: str | None = None

    def install(self) -> None:
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[object, ...]) -> None:
        if event not in AUDITED_EVENTS or not args:
            return
        try:
            path = _path_argument(args[0])
            if path is not None and self.boundary.is_outside(path):
                self.reads.append(
                    OutsideRead(event, _norm(path), self.current_test, self._caller())
                )
        except Exception:  # an audit hook that raises would break the open() it watches
            return

    def _caller(self) -> str:
        """The innermost frame in the checkout (the test's line), else the innermost one."""
        frames = [f for f in traceback.extract_stack() if f.filename != __file__]
        checkout = self.boundary.checkouts[0]
        ours = [f for f in frames if _inside(_norm(f.filename), checkout)]
        if not (ours or frames):
            return "?"
        frame = (ours or frames)[-1]
        return f"{os.path.relpath(frame.filename, checkout)}:{frame.lineno}"


_STASH = pytest.StashKey[Guard]()


def pytest_configure(config: pytest.Config) -> None:
    """Install the guard for the checkout pytest runs in (its rootdir)."""
    basetemp = config.option.basetemp
    boundary = Boundary(
        config.rootpath,
        default_exemptions(str(basetemp) if basetemp else None),
        default_exempt_children(),
    )
    guard = Guard(boundary)
    guard.install()
    config.stash[_STASH] = guard


def _check(item: pytest.Item) -> Generator[None, object, object]:
    guard = item.config.stash[_STASH]
    guard.current_test = item.nodeid
    start = len(guard.reads)
    try:
        result = yield
    finally:
        guard.current_test = None
    new = guard.reads[start:]
    if new:
        lines = "\n  ".join(str(read) for read in new)
        pytest.fail(
            f"read outside the checkout (a fresh clone has no such file; copy what the test "
            f"needs into tests/data):\n  {lines}",
            pytrace=False,
        )
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _check(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _check(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _check(item))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Reads outside any test (collection, imports) fail the run too."""
    if session.config.stash[_STASH].reads and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reads = terminalreporter.config.stash[_STASH].reads
    if reads:
        terminalreporter.section("reads outside the checkout", sep="=", red=True)
        for read in reads:
            terminalreporter.line(str(read))
