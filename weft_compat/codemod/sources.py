"""Finding the Python files to migrate, naming their modules, and the cheap text check."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

# Directories that hold other people's code or generated files, never the project's.
EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
    }
)

# Every rule starts from one of these spellings, so a file without any of them has
# nothing to rewrite or report. Settings modules and the modules naming one are read
# too, for INSTALLED_APPS (``installed_apps``, WC116), Celery spelling or not. Bytes,
# so the check runs before any decoding.
CELERY_TEXT = re.compile(
    rb"[Cc]elery|CELERY|\.delay\b|apply_async|AsyncResult|send_task|shared_task"
    rb"|\.task\b|weft_task|\.si?\(|\.revoke\b|INSTALLED_APPS|DJANGO_SETTINGS_MODULE"
)


# A substring of every match of CELERY_TEXT. Most files contain none of them, and a
# substring search is several times faster than the regular expression's.
_CELERY_SUBSTRINGS = (
    b"elery",
    b"ELERY",
    b".delay",
    b"apply_async",
    b"AsyncResult",
    b"send_task",
    b"shared_task",
    b".task",
    b"weft_task",
    b".s(",
    b".si(",
    b".revoke",
    b"INSTALLED_APPS",
    b"DJANGO_SETTINGS_MODULE",
)


def might_use_celery(source: bytes) -> bool:
    """Whether ``source`` mentions anything a rule could act on."""
    return any(part in source for part in _CELERY_SUBSTRINGS) and (
        CELERY_TEXT.search(source) is not None
    )


def iter_python_files(paths: Sequence[str]) -> Iterator[str]:
    """Each ``.py`` file under ``paths``, in a stable order; files are taken as given."""
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            yield raw
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(
                d for d in dirs if d not in EXCLUDED_DIRS and not d.endswith(".egg-info")
            )
            for name in sorted(files):
                if name.endswith(".py"):
                    yield os.path.join(root, name)


def module_name(path: str) -> tuple[str, str]:
    """``(module, package)`` for a file, found by climbing while ``__init__.py`` exists.

    The package anchors relative imports; a file outside any package is a top-level
    module.
    """
    file = Path(path).resolve()
    parts = _package(str(file.parent))
    if file.stem != "__init__":
        parts = (*parts, file.stem)
    module = ".".join(parts)
    package = module if file.stem == "__init__" else module.rpartition(".")[0]
    return module, package


@functools.cache
def _package(directory: str) -> tuple[str, ...]:
    """The package path of ``directory``: its name and its parents' while each holds an
    ``__init__.py`` (empty when it holds none). Files of a directory share it; a run
    forgets what it learnt when the next starts (``forget_packages``)."""
    folder = Path(directory)
    if folder.parent == folder or not (folder / "__init__.py").is_file():
        return ()
    return (*_package(str(folder.parent)), folder.name)


def forget_packages() -> None:
    """Forget which directories are packages, as the tree may have changed."""
    _package.cache_clear()
