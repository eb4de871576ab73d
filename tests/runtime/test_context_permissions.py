"""The Weft context directory is private: every call's arguments and results are in it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import run_python
from weft_compat._client import close_thread_client, get_client
from weft_compat._config import _environment_settings as environment_settings
from weft_compat._config import validate_settings
from weft_compat.exceptions import InvalidOptionValue


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT", str(tmp_path))
    previous = os.umask(0o022)  # The usual umask, under which files are world-readable.
    close_thread_client()
    try:
        yield tmp_path
    finally:
        close_thread_client()
        os.umask(previous)


def test_a_new_context_directory_is_its_owners_only(context: Path) -> None:
    get_client()
    weft_dir = context / ".weft"
    assert mode(weft_dir) == 0o700
    assert mode(weft_dir / "broker.db") == 0o600


def test_an_existing_context_directory_is_brought_to_the_mode(context: Path) -> None:
    weft_dir = context / ".weft"
    weft_dir.mkdir(mode=0o755)
    weft_dir.chmod(0o755)
    get_client()
    assert mode(weft_dir) == 0o700


def test_a_documented_group_mode_is_honoured(context: Path) -> None:
    with override_settings(WEFT_COMPAT={"CONTEXT_MODE": 0o750}):
        get_client()
    assert mode(context / ".weft") == 0o750
    assert mode(context / ".weft" / "broker.db") == 0o640


def test_the_mode_can_come_from_the_environment_without_django(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT_MODE", "750")
    assert environment_settings().CONTEXT_MODE == 0o750
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT_MODE", "rwx")
    with pytest.raises(InvalidOptionValue, match="'rwx' is not an octal mode"):
        environment_settings()


@pytest.mark.parametrize("value", [0o644, 0o1777, 0o070, "700"])
def test_a_mode_that_locks_the_owner_out_or_is_loose_is_refused(value: object) -> None:
    with pytest.raises(InvalidOptionValue, match="CONTEXT_MODE"):
        validate_settings({"CONTEXT_MODE": value}, where="WEFT_COMPAT")


def test_a_path_is_accepted_for_the_context(tmp_path: Path) -> None:
    # `BASE_DIR` is a pathlib.Path in every current Django project.
    assert str(tmp_path) == validate_settings({"CONTEXT": tmp_path}, where="WEFT_COMPAT").CONTEXT


@pytest.mark.broker
def test_the_processes_weft_compat_starts_keep_the_configured_mode(tmp_path: Path) -> None:
    # A pool master reads no Django settings: the mode reaches it from its starter.
    script = (
        "import os, stat, sys\n"
        "import weft_compat\n"
        "from weft_compat.shutdown import stop_context\n"
        "weft_compat.configure(CONTEXT=sys.argv[1], CONTEXT_MODE=0o750)\n"
        "from tests import broker_tasks\n"
        "try:\n"
        "    assert broker_tasks.add.enqueue(2, 3).wait(timeout=120) == 5\n"
        "    print(oct(stat.S_IMODE(os.stat(os.path.join(sys.argv[1], '.weft')).st_mode)))\n"
        "finally:\n"
        "    stop_context(grace=30)\n"
    )
    unset = ("DJANGO_SETTINGS_MODULE", "WEFT_COMPAT_CONTEXT", "WEFT_COMPAT_CONTEXT_MODE")
    ran = run_python(script, str(tmp_path), timeout=300, unset=unset)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "0o750"
