"""Django's own `tests/tasks` suite, taken from the source distribution of the installed
Django at test time and pointed at `WeftTaskBackend`.

The sdist is downloaded once into a cache directory (`WEFT_COMPAT_CACHE`, default
`~/.cache/weft-compat`); without a network the suite is skipped, unless
`WEFT_COMPAT_REQUIRE_SERVICES=1`, which makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from tests.conftest import REQUIRE_SERVICES
from weft_compat import _registry

OURS: Final = "weft_compat.django.backend.WeftTaskBackend"
# What pointing Django's test modules at this backend changes, file by file: each text must
# be found, so a new Django release that moves it fails here instead of testing Django's.
ADAPTATIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "test_immediate_backend.py": (
        ('"django.tasks.backends.immediate.ImmediateBackend"', f'"{OURS}"'),
        (
            "from django.tasks.backends.immediate import ImmediateBackend",
            "from weft_compat.django.backend import WeftTaskBackend as ImmediateBackend",
        ),
    ),
    "test_tasks.py": (
        ('"django.tasks.backends.immediate.ImmediateBackend"', f'"{OURS}"'),
        ('"django.tasks.backends.dummy.DummyBackend"', f'"{OURS}"'),
        (
            "from django.tasks.backends.immediate import ImmediateBackend",
            "from weft_compat.django.backend import WeftTaskBackend as ImmediateBackend",
        ),
        (
            "from django.tasks.backends.dummy import DummyBackend",
            "from weft_compat.django.backend import WeftTaskBackend as DummyBackend",
        ),
    ),
}

WAITING: Final = "tests.tasks_backend.waiting.WaitingWeftTaskBackend"
ON_BROKER: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "test_immediate_backend.py": (
        ('"django.tasks.backends.immediate.ImmediateBackend"', f'"{WAITING}"'),
        (
            "from django.tasks.backends.immediate import ImmediateBackend",
            "from tests.tasks_backend.waiting import WaitingWeftTaskBackend as ImmediateBackend",
        ),
    ),
}


def _unavailable(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and WEFT_COMPAT_REQUIRE_SERVICES=1 requires Django's suite")
    pytest.skip(message)


def _sdist(version: str) -> Path:
    cache = Path(os.environ.get("WEFT_COMPAT_CACHE", Path.home() / ".cache" / "weft-compat"))
    target = cache / "django-sdist"
    found = sorted(target.glob(f"[Dd]jango-{version}.tar.gz"))
    if found:
        return found[0]
    target.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--disable-pip-version-check",
        "-d",
        str(target),
        f"django=={version}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        _unavailable(f"downloading Django {version}'s source distribution timed out")
    found = sorted(target.glob(f"[Dd]jango-{version}.tar.gz"))
    if done.returncode != 0 or not found:
        _unavailable(
            f"Django {version}'s source distribution could not be downloaded: "
            f"{done.stderr.strip()[-300:]}"
        )
    return found[0]


def _installed(
    tmp_path_factory: pytest.TempPathFactory,
    package: str,
    adaptations: dict[str, tuple[tuple[str, str], ...]],
) -> Iterator[Path]:
    # Django's tests/tasks as the package `package`, with `adaptations` applied, on
    # `sys.path` until the generator is closed; its tasks are then forgotten, so workers
    # started later are not told to import them.
    pytest.importorskip("django.tasks", reason="django.tasks needs Django 6.0 or later")
    import django

    version = django.get_version()
    root = tmp_path_factory.mktemp(f"django-suite-{package}")
    prefix = f"django-{version}/tests/tasks/"
    with tarfile.open(_sdist(version)) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.name.lower().startswith(prefix) and member.isfile()
        ]
        if not members:
            pytest.fail(f"Django {version}'s source distribution has no {prefix}")
        for member in members:
            member.name = f"{package}/" + member.name[len(prefix) :]
            archive.extract(member, root, filter="data")
    for name, changes in adaptations.items():
        path = root / package / name
        text = path.read_text()
        for old, new in changes:
            assert old in text, f"Django {version}'s tests/tasks/{name} has no {old!r}"
            text = text.replace(old, new)
        path.write_text(text)
    assert package not in sys.modules, f"a module named {package!r} hides Django's tests"
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        for name in _registry.registered_names():
            if name.startswith(f"{package}."):
                _registry.unregister(name)
        sys.path.remove(str(root))
        for module in [
            name for name in sys.modules if name == package or name.startswith(f"{package}.")
        ]:
            del sys.modules[module]


@pytest.fixture(scope="module")
def django_tasks_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory holding Django's `tests/tasks` as the package `tasks` (the name its
    `module_path` tests expect), pointed at `WeftTaskBackend`, on `sys.path`."""
    yield from _installed(tmp_path_factory, "tasks", ADAPTATIONS)


@pytest.fixture(scope="module")
def django_tasks_suite_on_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Django's `tests/tasks` as the package `tasks_on_broker`, its immediate-backend tests
    pointed at `WaitingWeftTaskBackend` (which returns once a worker ended the call)."""
    yield from _installed(tmp_path_factory, "tasks_on_broker", ON_BROKER)
