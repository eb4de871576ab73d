"""The wheel holds every package and the migration guide, which `explain` reads from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_tree_is_listed() -> None:
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "weft_compat").rglob("__init__.py")
    }
    assert set(SETUPTOOLS["packages"]) == found | {"weft_compat.guide"}


def test_the_guide_is_shipped_from_migration_guide() -> None:
    assert SETUPTOOLS["package-dir"] == {"weft_compat.guide": "migration_guide"}
    assert SETUPTOOLS["package-data"]["weft_compat.guide"] == ["*.md"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (so no build files land in the tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("weft_compat", "migration_guide"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    completed = subprocess.run(
        [*command, "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_holds_every_guide_page(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    pages = {f"weft_compat/guide/{page.name}" for page in (ROOT / "migration_guide").glob("*.md")}
    assert pages <= names
    assert "weft_compat/py.typed" in names
    assert "weft_compat/django/static/weft_compat/progress.js" in names
    templates = {
        f"weft_compat/django/templates/weft_compat/operator/{name}.html"
        for name in ("base", "calls", "call")
    }
    assert templates <= names
    assert not any(name.startswith("migration_guide/") for name in names)


def test_explain_reads_the_guide_installed_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from weft_compat.codemod.cli import main; "
            "sys.exit(main(['explain', 'WC102']))",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "### WC102 `task_decorator`" in completed.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from weft_compat.codemod.guide import guide_root; print(guide_root())",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert str(target / "weft_compat" / "guide") in probe.stdout, probe.stderr[-2000:]
