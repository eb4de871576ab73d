"""The package's shape: its public names, and which imports each part may make."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import weft_compat

PACKAGE = Path(weft_compat.__file__).parent
CORE_EXCLUDED = ("django", "codemod", "bridge")


def imported_modules(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.col_offset) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.col_offset))
    return found


def test_all_lists_exactly_the_public_names_sorted() -> None:
    public = {name for name in dir(weft_compat) if not name.startswith("_")}
    public -= {"annotations", "TYPE_CHECKING", "Any", "Final"}
    public = {
        name for name in public if not isinstance(getattr(weft_compat, name), type(weft_compat))
    }
    assert weft_compat.__all__ == sorted(weft_compat.__all__)
    assert set(weft_compat.__all__) == public


def test_importing_the_package_loads_no_runtime_until_a_name_is_used() -> None:
    # `weft-compat migrate` imports the package: it must not pay for Weft's client,
    # pydantic or kombu, which only the runtime needs.
    heavy = ("weft", "pydantic", "kombu", "weft_compat._task", "weft_compat.testing")
    script = (
        "import sys, weft_compat\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        "weft_compat.weft_task\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    before, after = result.stdout.splitlines()
    assert before == "[]"
    assert after == repr(sorted(heavy))


def test_weft_is_imported_only_through_its_public_client() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in PACKAGE.rglob("*.py")
        for module, _ in imported_modules(path)
        if (module.startswith("weft.") and module != "weft.client") or module == "weft"
    ]
    assert offenders == []


def test_the_core_imports_neither_django_nor_libcst_at_module_level() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in PACKAGE.glob("*.py")
        for module, column in imported_modules(path)
        if column == 0 and module.split(".")[0] in {"django", "libcst"}
    ]
    assert offenders == []


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").exists()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """weft_compat modules `path` imports at module level (outside TYPE_CHECKING), and
    those it imports inside functions (line, module)."""
    tree = ast.parse(path.read_text(), str(path))
    top: set[str] = set()
    nested: list[tuple[int, str]] = []

    def visit(node: ast.AST, *, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            names: list[str] = []
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                # `from package import submodule` imports the submodule (the package is
                # the one being initialised); `from module import name`, the module.
                submodules = [f"{child.module}.{alias.name}" for alias in child.names]
                names = [name for name in submodules if name in MODULES] or [child.module]
            elif isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            for name in names:
                if name.split(".")[0] == "weft_compat" and name in MODULES:
                    (nested.append((child.lineno, name)) if in_function else top.add(name))
            visit(child, in_function=inside)

    visit(tree, in_function=False)
    return top, nested


MODULES = {module_name(path) for path in PACKAGE.rglob("*.py")}
# Where a function may import another weft_compat module: into the optional parts (Django,
# the codemod), from the command line's dispatch, and from the pytest plugin, which has to
# cost other test suites nothing.
OPTIONAL = ("weft_compat.django", "weft_compat.codemod")
DISPATCHERS = {"weft_compat.cli", "weft_compat.pytest_plugin"}


def test_functions_import_other_modules_only_into_optional_parts() -> None:
    offenders = [
        f"{module_name(path)}:{line} imports {name}"
        for path in PACKAGE.rglob("*.py")
        if not module_name(path).startswith(OPTIONAL) and module_name(path) not in DISPATCHERS
        for line, name in runtime_imports(path)[1]
        if not name.startswith(OPTIONAL)
    ]
    assert offenders == []


def test_the_runtime_imports_run_one_way() -> None:
    graph = {
        module_name(path): runtime_imports(path)[0]
        for path in PACKAGE.rglob("*.py")
        if not module_name(path).startswith("weft_compat.codemod")
    }

    def cycle_from(start: str, path: list[str]) -> list[str] | None:
        for imported in sorted(graph.get(path[-1], ())):
            if imported == start:
                return [*path, imported]
            if imported not in path:
                found = cycle_from(start, [*path, imported])
                if found:
                    return found
        return None

    cycles = [cycle for module in sorted(graph) if (cycle := cycle_from(module, [module]))]
    assert cycles == []


def test_the_handle_and_the_submit_path_see_lanes_only_through_the_interface() -> None:
    fronts = ["weft_compat._submission", "weft_compat._submit", "weft_compat._locate"]
    lane_internals = ("weft_compat.pool", "weft_compat.due", "weft_compat._isolated")
    offenders = [
        f"{front} imports {name}"
        for front in fronts
        for name in runtime_imports(PACKAGE.parent / (front.replace(".", "/") + ".py"))[0]
        if name.startswith(lane_internals)
    ]
    assert offenders == []
