"""The arrows of docs/architecture.md, enforced over the import graph of ``provenance/``.

Every run-time import is counted, including those inside functions (a lazy import is
still an arrow; an ``if TYPE_CHECKING:`` import is not); cycles are looked for among module-level imports, which are the ones that
run when a module is first imported.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "provenance"

#: Floor 1: shared foundations every package may use; they import no package above them.
FOUNDATIONS = frozenset(
    {
        "provenance.models",
        "provenance.errors",
        "provenance.sanitize",
        "provenance.config",
        "provenance.homedir",
        "provenance.media",
        "provenance.raw",
        "provenance.labels",
        "provenance.store",
        "provenance.wording",
        "provenance.outputs",
        "provenance.memory_cap",
    }
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _names(node: ast.Import | ast.ImportFrom, package: str) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    # `from provenance import media` imports the module provenance.media.
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


def _imports(tree: ast.Module, *, top_level_only: bool, package: str) -> set[str]:
    """Modules imported anywhere at run time (type-only imports are not arrows), or at first run."""
    if not top_level_only:
        found_anywhere: set[str] = set()
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found_anywhere |= _names(node, package)
            elif not (isinstance(node, ast.If) and _is_type_checking(node)):
                stack.extend(ast.iter_child_nodes(node))
        return found_anywhere
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= _names(node, package)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending += [*node.body, *node.orelse]
        elif isinstance(node, ast.Try):
            pending += [*node.body, *node.orelse, *node.finalbody]
            pending += [stmt for handler in node.handlers for stmt in handler.body]
        elif isinstance(node, ast.With):
            pending += node.body
    return found


def _graph(*, top_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported = _imports(
            ast.parse(path.read_text()), top_level_only=top_level_only, package=package
        )
        graph[name] = {m for m in imported if m in modules or not m.startswith("provenance")}
    return graph


ALL_IMPORTS = _graph(top_level_only=False)


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and module not in FOUNDATIONS else "foundation"


def test_nothing_imports_the_cli() -> None:
    offenders = {
        m
        for m, deps in ALL_IMPORTS.items()
        if any(d.split(".")[0] in {"cli", "provenance_cli"} for d in deps)
    }
    assert not offenders


def test_only_the_boundary_module_imports_c2pa() -> None:
    offenders = {
        m for m, deps in ALL_IMPORTS.items() if any(d.split(".")[0] == "c2pa" for d in deps)
    }
    assert offenders <= {"provenance._c2pa"}


def test_renderers_do_not_sign_or_verify() -> None:
    for module, deps in ALL_IMPORTS.items():
        if module.startswith("provenance.report"):
            bad = {
                d
                for d in deps
                if d.startswith(("provenance.sign", "provenance.verify", "provenance._c2pa"))
            }
            assert not bad, f"{module} imports {sorted(bad)}"


def test_foundations_import_no_package_above_them() -> None:
    # The c2pa boundary sits on the same floor: it may not reach up into a package either.
    for module in FOUNDATIONS | {"provenance._c2pa"}:
        deps = ALL_IMPORTS.get(module, set())
        above = {d for d in deps if d.startswith("provenance.") and d not in FOUNDATIONS}
        assert not above, f"{module} imports {sorted(above)}"


def test_no_import_cycles_at_module_level() -> None:
    graph = _graph(top_level_only=True)
    internal = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    # A package's __init__ re-exporting its own modules is not a cycle through them.
    for module, deps in internal.items():
        internal[module] = {d for d in deps if not module.startswith(d + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(internal[node]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join([*stack[stack.index(dep) :], dep]))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(internal):
        if module not in state:
            visit(module)


def test_every_package_is_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {_module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py")}
    assert on_disk <= listed, f"add to pyproject's packages: {sorted(on_disk - listed)}"


def test_no_module_is_over_700_lines() -> None:
    # statuscodes.py is a table of data (the C2PA status codes in plain words).
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 700 and p.name != "statuscodes.py"
    }
    assert not long
