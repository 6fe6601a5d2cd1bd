"""``make package-test``: run the frozen app the way a user would, and fail loudly.

For the bundle in ``dist/`` and for the .deb unpacked into a temporary root (``dpkg -x``), the
launcher is run from ``/`` with a clean environment and a fresh data dir:

1. ``--version`` prints the version of ``pyproject.toml``;
2. ``self-test`` indexes the bundled samples, searches them and reports ``ok`` (exit 0);
3. ``gui --smoke-test`` opens the real window offscreen and waits for the engine (exit 0).

Any stderr line not on :data:`ALLOWED_STDERR` fails the run: a missing library or plugin
shows up there long before it breaks a user's session. The .deb's file list is checked too,
and its ``Depends``: every library the bundled Qt platform plugins (xcb, Wayland) and the
bundled libraries they load link to, and which the bundle does not hold, must come from a
declared package (``dpkg -S`` on this machine, else ``desktop_app.qt_deps.PACKAGES``). The
offscreen runs above never load those plugins, so without this check a missing dependency
would only show on a user's desktop.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import project

from desktop_app import qt_deps

# Lines the frozen app may print on stderr, each with the reason it is harmless.
ALLOWED_STDERR = (
    # Qt's offscreen platform cannot size native windows; only under QT_QPA_PLATFORM=offscreen.
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),
)
TIMEOUT_S = 300


@dataclass
class Check:
    name: str
    ok: bool
    seconds: float
    detail: str = ""
    unexpected_stderr: list[str] = field(default_factory=list)


def _environment(home: Path) -> dict[str, str]:
    """The user's environment without anything that could let the bundle lean on this repo."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "DESKTOP_SEARCH", "QT_", "LD_"))
    }
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8")
    return env


def _run(
    name: str,
    argv: list[str],
    env: dict[str, str],
    judge: Callable[[str], tuple[bool, str]],
) -> Check:
    """Run one command; ``judge(stdout)`` says whether its output is right, and a summary."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd="/", env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return Check(name, False, TIMEOUT_S, f"no answer in {TIMEOUT_S} s")
    seconds = time.perf_counter() - started
    unexpected = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and not any(pattern.match(line) for pattern in ALLOWED_STDERR)
    ]
    ok, detail = judge(done.stdout)
    if done.returncode != 0:
        ok, detail = False, f"exit status {done.returncode}: {detail}"
    if unexpected and ok:
        ok, detail = False, f"{len(unexpected)} unexpected stderr line(s)"
    return Check(name, ok, seconds, detail, unexpected)


def _json_outcome(stdout: str) -> dict[str, object] | None:
    try:
        value = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _judge_version(stdout: str) -> tuple[bool, str]:
    expected = f"{project.APP_NAME} {project.version()}"
    return stdout.strip() == expected, stdout.strip()[:200]


def _judge_self_test(stdout: str) -> tuple[bool, str]:
    report = _json_outcome(stdout)
    if report is None:
        return False, f"stdout is not a JSON report: {stdout.strip()[:200]!r}"
    if report.get("frozen") is not True:
        return False, "the report says the app is not frozen: the bundle ran the wrong Python"
    searches = report.get("searches") or []
    assert isinstance(searches, list)
    index = report.get("index") or {}
    assert isinstance(index, dict)
    summary = (
        f"{index.get('indexed')}/{index.get('files')} samples indexed, "
        f"{sum(bool(s['ok']) for s in searches)}/{len(searches)} searches right"
    )
    if report.get("ok") is not True:
        return False, f"{summary}; report: {json.dumps(report)[:400]}"
    return True, summary


def _judge_smoke(stdout: str) -> tuple[bool, str]:
    outcome = _json_outcome(stdout)
    return outcome is not None and "model" in outcome, stdout.strip()[:200]


def check_launcher(label: str, launcher: Path) -> list[Check]:
    """The three commands against ``launcher``, each in a fresh data dir."""
    checks = []
    with tempfile.TemporaryDirectory(prefix="ds-package-test-") as tmp:
        home = Path(tmp)
        env = _environment(home)
        data = str(home / "data")
        exe = str(launcher)
        checks.append(_run(f"{label}: --version", [exe, "--version"], env, _judge_version))
        checks.append(
            _run(
                f"{label}: self-test", [exe, "--data-dir", data, "self-test"], env, _judge_self_test
            )
        )
        checks.append(
            _run(
                f"{label}: gui --smoke-test",
                [exe, "--data-dir", data, "gui", "--smoke-test"],
                env,
                _judge_smoke,
            )
        )
    return checks


# What the .deb must install, relative to the root it is unpacked into.
DEB_FILES = (
    "usr/bin/desktop-search",
    "opt/desktop-search/desktop-search",
    "usr/share/applications/desktop-search.desktop",
    "usr/share/icons/hicolor/scalable/apps/desktop-search.svg",
    "usr/share/icons/hicolor/256x256/apps/desktop-search.png",
)


# -- the .deb declares what the bundled Qt platform plugins link to ---------------------------

#: The platform plugins a desktop session loads (offscreen and minimal need nothing more).
PLATFORM_PLUGINS = ("libqxcb.so", "libqwayland*.so")


def bundled_libraries(root: Path) -> dict[str, Path]:
    """Every shared library under ``root`` by file name (the soname the loader looks for)."""
    return {path.name: path for path in sorted(root.rglob("*.so*")) if path.is_file()}


def system_libraries(
    starts: Iterable[Path],
    bundled: Mapping[str, Path],
    needed: Callable[[Path], list[str]] = qt_deps.elf_needed,
) -> dict[str, str]:
    """soname -> the first file needing it, for each library outside the bundle that ``starts``
    link to, directly or through bundled libraries."""
    todo = list(starts)
    seen: set[str] = set()
    outside: dict[str, str] = {}
    while todo:
        binary = todo.pop(0)
        for name in needed(binary):
            if name in bundled:
                if name not in seen:
                    seen.add(name)
                    todo.append(bundled[name])
            else:
                outside.setdefault(name, binary.name)
    return outside


def parse_dpkg_search(output: str, soname: str) -> set[str]:
    """Packages in ``dpkg -S '*/soname'`` output owning a file of exactly that name."""
    packages: set[str] = set()
    for line in output.splitlines():
        owners, sep, path = line.partition(": ")
        if sep and not line.startswith("diversion") and Path(path.strip()).name == soname:
            packages.update(owner.strip().split(":")[0] for owner in owners.split(","))
    return packages


def dpkg_owners(soname: str) -> set[str]:
    """The packages of this machine that install ``soname`` (empty when none does)."""
    done = subprocess.run(
        ["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True, check=False
    )
    return parse_dpkg_search(done.stdout, soname)


def parse_depends(field_value: str) -> set[str]:
    """Package names in a ``Depends`` field (alternatives and versions dropped)."""
    names = set()
    for clause in field_value.split(","):
        for alternative in clause.split("|"):
            name = alternative.strip().split(" ")[0].split("(")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def undeclared_libraries(
    libraries: Mapping[str, str], depends: set[str], owners: Callable[[str], set[str]]
) -> dict[str, str]:
    """soname -> why, for each library whose package is not in ``depends``: the packages that
    would do (``owners`` on this machine, plus the table's Debian name), or that none is known."""
    problems = {}
    for name, needed_by in sorted(libraries.items()):
        candidates = set(owners(name))
        if name in qt_deps.PACKAGES:
            candidates.add(qt_deps.PACKAGES[name]["apt"])
        if not candidates:
            problems[name] = f"needed by {needed_by}; no package known (add it to qt_deps)"
        elif not candidates & depends:
            problems[name] = f"needed by {needed_by}; declare {' or '.join(sorted(candidates))}"
    return problems


def check_depends(deb: Path, root: Path) -> Check:
    """The unpacked bundle's platform plugins against the ``Depends`` of ``deb``."""
    started = time.perf_counter()
    bundle = root / "opt" / project.APP_NAME
    plugins = [p for pattern in PLATFORM_PLUGINS for p in bundle.rglob(f"platforms/{pattern}")]
    if not any(p.name == "libqxcb.so" for p in plugins):
        return Check("deb: Depends", False, 0.0, "no xcb platform plugin in the bundle")
    depends = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    libraries = system_libraries(plugins, bundled_libraries(bundle))
    problems = undeclared_libraries(libraries, parse_depends(depends), dpkg_owners)
    detail = (
        "; ".join(f"{name}: {why}" for name, why in problems.items())
        if problems
        else f"{len(libraries)} system libraries of {len(plugins)} platform plugins declared"
    )
    return Check("deb: Depends", not problems, time.perf_counter() - started, detail)


def check_deb(deb: Path, root: Path) -> list[Check]:
    """Unpack ``deb`` into ``root`` like dpkg would, check its files, run its launcher."""
    started = time.perf_counter()
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    info = [
        subprocess.run(
            ["dpkg-deb", "--field", str(deb), field_name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for field_name in ("Package", "Version")
    ]
    missing = [name for name in DEB_FILES if not (root / name).exists()]
    problem = None
    if missing:
        problem = f"missing from the package: {', '.join(missing)}"
    elif info != [project.APP_NAME, project.version()]:
        problem = f"control fields {info} are not {project.APP_NAME} {project.version()}"
    elif not (root / "usr/bin/desktop-search").is_symlink():
        problem = "/usr/bin/desktop-search is not a launcher symlink"
    contents = Check(
        "deb: contents", problem is None, time.perf_counter() - started, problem or "ok"
    )
    return [
        contents,
        check_depends(deb, root),
        *check_launcher("deb", root / "usr" / "bin" / project.APP_NAME),
    ]


def main() -> int:
    launcher = project.BUNDLE_DIR / project.APP_NAME
    deb = project.DIST / f"{project.APP_NAME}_{project.version()}_{project.deb_architecture()}.deb"
    missing = [str(p) for p in (launcher, deb) if not p.is_file()]
    if missing:
        print(f"not built: {', '.join(missing)} (run make package)", file=sys.stderr)
        return 1
    checks = check_launcher("bundle", launcher)
    with tempfile.TemporaryDirectory(prefix="ds-deb-root-") as root:
        checks += check_deb(deb, Path(root))
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        detail = check.detail if not check.ok else check.detail[:120]
        print(f"{mark} {check.name:{width}}  {check.seconds:6.1f} s  {detail}")
        for line in check.unexpected_stderr:
            print(f"     unexpected stderr: {line}")
    sizes = {
        "bundle_mib": round(_size(project.BUNDLE_DIR) / 2**20),
        **{p.name: round(p.stat().st_size / 2**20) for p in sorted(project.DIST.glob("*.*"))},
    }
    print("sizes (MiB):", json.dumps(sizes))
    failed = [c for c in checks if not c.ok]
    print(f"{len(checks) - len(failed)}/{len(checks)} checks passed")
    return 1 if failed else 0


def _size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


if __name__ == "__main__":
    if shutil.which("dpkg-deb") is None:
        print("dpkg-deb not found (Debian's dpkg package)", file=sys.stderr)
        sys.exit(1)
    sys.exit(main())
