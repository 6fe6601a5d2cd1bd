"""The layers hold: no import cycle in desktop_app/, and the engine imports no front end.

Every import is read from the source, function-level ones included (a deferred import is still
a dependency); imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "desktop_app"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _runtime_nodes(tree: ast.AST, typing_too: bool = False) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (unless ``typing_too``)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if (
            not typing_too
            and isinstance(node, ast.If)
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            stack.extend(node.orelse)
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def imports_of(name: str, path: Path, known: dict[str, Path], typing_too: bool = False) -> set[str]:
    """The desktop_app modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path)), typing_too):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    found.add(target)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def graph(typing_too: bool = False) -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known, typing_too) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_reader_sees_function_level_imports_and_finds_a_cycle() -> None:
    edges = graph()
    assert "desktop_app.engine.store" in edges["desktop_app.engine.search"]
    assert "desktop_app.ui.app" in edges["desktop_app.cli.entry"], "a deferred import counts"
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_in_the_package() -> None:
    assert cycles(graph()) == []


def test_the_engine_imports_no_front_end() -> None:
    front_ends = ("desktop_app.ui", "desktop_app.cli")
    for name, targets in graph().items():
        if name.startswith("desktop_app.engine"):
            wrong = sorted(t for t in targets if t.startswith(front_ends))
            assert wrong == [], f"{name} imports {wrong}"


def test_cli_command_modules_import_neither_the_entry_point_nor_each_other() -> None:
    """The entry point gathers the commands' handlers; a command reaches only output and below."""
    edges = graph()
    commands = [name for name in edges if name.startswith("desktop_app.cli.")]
    commands = [name for name in commands if name.endswith("_commands")]
    assert len(commands) >= 4, commands
    for name in commands:
        cli_targets = {t for t in edges[name] if t.startswith("desktop_app.cli")}
        assert cli_targets <= {"desktop_app.cli.output"}, f"{name} imports {sorted(cli_targets)}"


#: What the window may import from the engine when it runs: the runner and its events (the
#: bridge's door), Filters (the bridge passes them on), and how a path is shown.
UI_RUNTIME = {
    "desktop_app.engine",
    "desktop_app.engine.events",
    "desktop_app.engine.runner",
    "desktop_app.engine.query",
    "desktop_app.engine.pathnames",
}
#: Only the bridge talks to the runner and builds Filters' module; widgets get both from it.
BRIDGE_ONLY = {"desktop_app.engine.runner", "desktop_app.engine.query"}
#: The types the events carry, which the window may name in type hints (never import to run).
UI_TYPES = {
    "desktop_app.engine.status",
    "desktop_app.engine.memory",
    "desktop_app.engine.models",
    "desktop_app.engine.pipeline",
    "desktop_app.engine.search",
    "desktop_app.engine.store",
    "desktop_app.engine.service",
}
MAX_LINES = 500


def _ui_engine_imports(typing_too: bool) -> dict[str, set[str]]:
    return {
        name: {t for t in targets if t.startswith("desktop_app.engine")}
        for name, targets in graph(typing_too).items()
        if name.startswith("desktop_app.ui")
    }


def test_the_window_reaches_the_engine_only_through_its_front_door() -> None:
    for name, targets in _ui_engine_imports(typing_too=False).items():
        assert targets <= UI_RUNTIME, f"{name} imports {sorted(targets - UI_RUNTIME)}"
        if name != "desktop_app.ui.bridge":
            assert not targets & BRIDGE_ONLY, f"{name} imports {sorted(targets & BRIDGE_ONLY)}"
    for name, targets in _ui_engine_imports(typing_too=True).items():
        allowed = UI_RUNTIME | UI_TYPES
        assert targets <= allowed, f"{name} names {sorted(targets - allowed)}"


def test_the_front_door_check_sees_a_forbidden_import() -> None:
    imports = _ui_engine_imports(typing_too=True)
    assert "desktop_app.engine.runner" in imports["desktop_app.ui.bridge"]
    assert (
        "desktop_app.engine.status" not in _ui_engine_imports(False)["desktop_app.ui.main_window"]
    )
    assert "desktop_app.engine.status" in imports["desktop_app.ui.main_window"]


def test_no_module_is_over_500_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert max(sizes.values()) > 100  # the count reads real files
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


HEAVY = ("numpy", "lancedb", "pyarrow", "llama_cpp", "gguf")


@pytest.mark.parametrize("module", ["desktop_app.ui.app", "desktop_app.cli"])
def test_the_front_ends_import_no_heavy_module_before_they_need_it(module: str) -> None:
    """The window paints, and ``--help`` answers, before the vector stack loads."""
    probe = f"import sys, {module}; print(sorted({{m.split('.')[0] for m in sys.modules}}))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "'desktop_app'" in loaded  # the probe sees what the import loaded
    assert [name for name in HEAVY if f"'{name}'" in loaded] == []
