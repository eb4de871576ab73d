"""The package's shape: its public names, and which imports each part may make."""

from __future__ import annotations

import ast
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
    public = {name for name in vars(weft_compat) if not name.startswith("_")}
    public -= {"annotations", "exceptions", "testing", "Any"}
    public = {
        name for name in public if not isinstance(getattr(weft_compat, name), type(weft_compat))
    }
    assert weft_compat.__all__ == sorted(weft_compat.__all__)
    assert set(weft_compat.__all__) == public


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
