"""What `enqueue` starts on demand leaves by itself once idle; explicit workers stay.

The script below is what a user does in `manage.py shell` or a one-off script: enqueue a
call (and a deferred one), read the results, exit. Afterwards the pool, the mover and
the Weft manager they needed must all go away without anyone stopping them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._client import get_client
from weft_compat.pool import pools, start_pool, stop_pool
from weft_compat.pool._registry import live_master_ids

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
from tests import broker_tasks
print(broker_tasks.add.enqueue(2, 3).wait(timeout=120))
print(broker_tasks.add.using(countdown=0.2).enqueue(4, 5).wait(timeout=120))
"""


def processes_of(context: Path) -> list[int]:
    """PIDs of the processes whose environment names this (test-made) context."""
    marker = f"WEFT_COMPAT_CONTEXT={context}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environment:
            found.append(int(entry.name))
    return found


@pytest.fixture
def fresh_context(tmp_path: Path) -> Iterator[Path]:
    """A context of its own; whatever the test leaves running there is stopped after."""
    with pointed_at(tmp_path, stop=True):
        yield tmp_path


def test_pools_movers_and_the_manager_started_on_demand_leave_once_idle(
    fresh_context: Path,
) -> None:
    environment = {
        **os.environ,
        "WEFT_COMPAT_CONTEXT": str(fresh_context),
        "WEFT_COMPAT_IDLE_TIMEOUT": "2",
        "WEFT_MANAGER_LIFETIME_TIMEOUT": "3",
        "PYTHONPATH": str(ROOT),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.split() == ["5", "9"]
    masters = [entry.tid for entry in pools()]
    assert masters, "the call should have started a pool on demand"
    assert processes_of(fresh_context), "the pool should still be serving right after"
    deadline = time.monotonic() + 120  # idle 2 s, grace 10 s, manager 3 s, on a busy box
    while processes_of(fresh_context) or get_client().managers.list():
        assert time.monotonic() < deadline, (
            f"still running: {processes_of(fresh_context)}, pools {pools()}"
        )
        time.sleep(0.5)
    assert not set(masters) & live_master_ids()
    assert not pools()


def test_a_pool_started_on_purpose_stays_however_long_it_idles(
    fresh_context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    with override_settings(WEFT_COMPAT={"IDLE_TIMEOUT": 1}):
        tid = start_pool("on-purpose", 1)
    try:
        time.sleep(15)  # Past the idle timeout and the leaving grace.
        assert [entry.tid for entry in pools("on-purpose")] == [tid]
        assert tid in live_master_ids()
    finally:
        stop_pool("on-purpose")


def test_weft_compat_stop_leaves_no_process_of_the_context_and_loses_nothing(
    fresh_context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    start_pool("kept", 1)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    deferred = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tests import broker_tasks\n"
            # An isolated call, so Weft's manager runs too.
            "assert broker_tasks.add.using(lane='isolated').enqueue(1, 2).wait(timeout=120) == 3\n"
            "print(broker_tasks.add.using(queue='kept', countdown=3600).enqueue(1, 2).tid)",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
    assert processes_of(fresh_context)
    stopped = subprocess.run(
        [sys.executable, "-m", "weft_compat", "stop", "--grace", "60"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped 1 pool(s), 1 mover(s) and 1 Weft manager(s)" in stopped.stderr
    deadline = time.monotonic() + 30
    while processes_of(fresh_context):
        assert time.monotonic() < deadline, processes_of(fresh_context)
        time.sleep(0.2)
    assert not get_client().managers.list()
    # The deferred call waits in the broker for the next start.
    assert WeftSubmission.from_tid(deferred).state == "PENDING"


def test_a_pool_of_two_is_three_processes_and_nothing_else(
    fresh_context: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    start_pool("counted", 2)
    deadline = time.monotonic() + 60
    while len(processes_of(fresh_context)) < 3:
        assert time.monotonic() < deadline, processes_of(fresh_context)
        time.sleep(0.2)
    time.sleep(1)  # Nothing else starts: no Weft manager, no helper processes.
    assert len(processes_of(fresh_context)) == 3
    assert not get_client().managers.list()


def test_the_weft_manager_an_isolated_call_started_is_quiet_and_stopped_once_idle(
    fresh_context: Path,
) -> None:
    environment = {
        **os.environ,
        "WEFT_COMPAT_CONTEXT": str(fresh_context),
        "WEFT_COMPAT_IDLE_TIMEOUT": "2",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("DJANGO_SETTINGS_MODULE", "WEFT_MANAGER_LIFETIME_TIMEOUT"):
        environment.pop(name, None)
    script = (
        "from tests import broker_tasks\n"
        "from weft_compat._client import get_client\n"
        "assert broker_tasks.add.using(lane='isolated').enqueue(2, 3).wait(timeout=120) == 5\n"
        "[manager] = get_client().managers.list()\n"
        "print(get_client().task(manager.tid).snapshot().metadata['idle_timeout'])\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # Started quiet (an idle lifetime of 0 keeps it from spinning while tasks run)...
    assert completed.stdout.split() == ["0.0"]
    # ...and stopped by weft_compat once the isolated lane idled, the reaper with it.
    deadline = time.monotonic() + 120
    while get_client().managers.list() or processes_of(fresh_context):
        assert time.monotonic() < deadline, processes_of(fresh_context)
        time.sleep(0.5)
