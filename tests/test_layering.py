"""Layering: no import cycle among autodiff's modules, and each layer imports only below it.

The module import graph is read from the source (statements at module level; imports inside
functions are listed separately), so a cycle fails here even where the import order happens
to work.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "autodiff"


def _module_name(path: Path) -> str:
    parts = ["autodiff", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(modules imported at module level, modules imported inside functions) by `name`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top, inner = set(), set()
    tree = ast.parse(path.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    functions = [n for n in ast.walk(tree) if isinstance(n, kinds)]
    nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module or ""]))
            targets = [
                f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                for a in node.names
            ]
        else:
            continue
        found = {t for t in targets if t in MODULES}
        (inner if id(node) in nested else top).update(found)
    return top, inner


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in graph:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = state.get(start, 0) or 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
    return None


def test_no_import_cycle_at_module_level():
    # a package's __init__ may gather its own modules; any other edge into a package that
    # comes back out of it is a cycle
    graph = {name: top for name, (top, _) in GRAPH.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_one_lazy_import_of_node_is_the_only_way_back_up():
    # with function-level imports too, only Node.__call__ (which makes a plan) closes a cycle
    graph = {name: top | inner for name, (top, inner) in GRAPH.items()}
    graph["autodiff.node"] = set()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_planner_and_node_import_no_op():
    for name in ("autodiff.compile", "autodiff.node"):
        top, inner = GRAPH[name]
        assert not {m for m in top | inner if m.startswith("autodiff.ops")}, name
    # node.py imports only the casts, which import nothing of autodiff...
    assert GRAPH["autodiff.node"][0] == {"autodiff.casting"}
    assert GRAPH["autodiff.casting"] == (set(), set())
    assert GRAPH["autodiff.node"][1] == {"autodiff.compile"}  # ...but `node()` makes a plan


def test_ops_need_no_function_level_imports():
    for name, (_, inner) in GRAPH.items():
        if name.startswith("autodiff.ops"):
            assert not inner, f"{name} imports {sorted(inner)} inside a function"


def test_each_family_imports_only_the_helpers_and_earlier_families():
    order = [
        "autodiff.ops._common",
        "autodiff.ops.creation",
        "autodiff.ops._erf",
        "autodiff.ops._basic",
        "autodiff.ops._functions",
        "autodiff.ops._rounding",
        "autodiff.ops.elementwise",
        "autodiff.ops.activations",
        "autodiff.ops.einsum_plan",
        "autodiff.ops.einsum",
        "autodiff.ops.shape",
        "autodiff.ops.manipulation",
        "autodiff.ops.linalg",
        "autodiff.ops._scan",
        "autodiff.ops.reduce",
        "autodiff.ops.statistics",
        "autodiff.ops.nn",
        "autodiff.ops.window",
        "autodiff.ops.dispatch",
    ]
    assert set(order) == {m for m in MODULES if m.startswith("autodiff.ops.")}
    for i, name in enumerate(order):
        top, _ = GRAPH[name]
        later = {m for m in top if m.startswith("autodiff.ops")} - set(order[:i])
        assert not later, f"{name} imports {sorted(later)}"
        assert top <= set(order[:i]) | {"autodiff.node"}, f"{name} imports {sorted(top)}"


def test_every_module_imports_in_a_fresh_interpreter():
    code = "; ".join(f"import {name}" for name in sorted(MODULES))
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT.parent, timeout=120
    )
    assert run.returncode == 0, run.stderr


def test_no_module_of_autodiff_is_over_800_lines():
    for name, path in MODULES.items():
        assert len(path.read_text().splitlines()) <= 800, name


def test_no_function_of_autodiff_hides_a_submodule():
    # `import autodiff.grad` once gave the function `ad.grad`: a function bound on the package
    # under a submodule's name shadows the submodule (the rename to differentiation.py and
    # checkpointing.py, as plotting/ for `ad.plot` and simplification/ for `ad.simplify`)
    import importlib
    import inspect
    import pkgutil

    import autodiff

    names = {info.name for info in pkgutil.iter_modules(autodiff.__path__)}
    assert {"differentiation", "checkpointing", "plotting", "simplification"} <= names
    hidden = {name for name in names if inspect.isroutine(getattr(autodiff, name, None))}
    assert not hidden, f"functions of autodiff named like its submodules: {sorted(hidden)}"
    for name in names:  # and `import autodiff.X` gives the module
        module = importlib.import_module(f"autodiff.{name}")
        assert inspect.ismodule(module) and module.__name__ == f"autodiff.{name}", name
