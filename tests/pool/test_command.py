"""`weft-compat worker` and `manage.py weft_worker` on a real Weft context."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import broker_tasks
from weft_compat.pool import pools, stop_pool

pytestmark = pytest.mark.broker


def worker(*args: str, context: Path, **extra_env: str) -> subprocess.Popen[str]:
    # The test process's Django settings travel with its calls, so the worker names
    # the same settings: a pool serves one settings module.
    environment = {**os.environ, "WEFT_COMPAT_CONTEXT": str(context), **extra_env}
    return subprocess.Popen(
        [sys.executable, "-m", "weft_compat", "worker", *args],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_detach_starts_a_pool_that_serves_and_stop_ends_it(weft_context: Path) -> None:
    started = worker(
        "--detach", "--queue", "cli-detached", "-c", "1", "--prefetch-multiplier", "8",
        "-I", "tests.broker_tasks", context=weft_context,
    )  # fmt: skip
    out, err = started.communicate(timeout=60)
    assert started.returncode == 0, err
    [entry] = pools("cli-detached")
    assert entry.tid == out.strip()
    assert entry.concurrency == 1 and not entry.autostarted
    assert entry.prefetch_multiplier == 8
    status = worker("--status", "--queue", "cli-detached", context=weft_context)
    listed, _ = status.communicate(timeout=60)
    assert f"{entry.tid} concurrency=1 prefetch_multiplier=8" in listed
    handle = broker_tasks.add.using(queue="cli-detached").enqueue(20, 22)
    assert handle.result(timeout=60).value == 42
    stopped = worker("--stop", "--queue", "cli-detached", context=weft_context)
    assert stopped.wait(timeout=60) == 0
    assert not pools("cli-detached")


def test_the_foreground_worker_stops_cleanly_on_sigterm(weft_context: Path) -> None:
    process = worker(
        "--queue", "cli-foreground", "--concurrency", "1",
        context=weft_context, WEFT_COMPAT_IMPORTS="tests.broker_tasks",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not pools("cli-foreground"):
            assert time.monotonic() < deadline, "the worker did not start a pool"
            time.sleep(0.1)
        handle = broker_tasks.add.using(queue="cli-foreground").enqueue(1, 2)
        assert handle.result(timeout=60).value == 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not pools("cli-foreground")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_worker_started_without_a_task_module_fails_its_calls_and_stays(
    weft_context: Path,
) -> None:
    started = worker("--detach", "-Q", "cli-unconfigured", "-c", "1", context=weft_context)
    out, err = started.communicate(timeout=60)
    assert started.returncode == 0, err
    try:
        handle = broker_tasks.add.using(queue="cli-unconfigured").enqueue(1, 1)
        handle.result(timeout=60)
        assert handle.state == "FAILURE"
        [error] = handle.errors
        assert error.exception_class_path == "weft_compat.exceptions.TaskNotRegistered"
        assert "WEFT_COMPAT['IMPORTS']" in error.message
        # A pool started on purpose is not replaced behind its operator's back.
        assert [entry.tid for entry in pools("cli-unconfigured")] == [out.strip()]
    finally:
        stop_pool("cli-unconfigured")


def test_an_include_that_cannot_be_imported_is_refused_before_anything_starts(
    weft_context: Path,
) -> None:
    process = worker(
        "--detach", "-Q", "cli-typo", "-I", "tests.no_such_module", context=weft_context
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "--include names 'tests.no_such_module', which cannot be imported" in err
    assert not pools("cli-typo")


@pytest.mark.parametrize("flag", ["--concurrency", "--prefetch-multiplier"])
def test_a_bad_pool_size_is_refused_with_the_value(flag: str, weft_context: Path) -> None:
    process = worker(flag, "0", context=weft_context)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"{flag} 0 must be 1 or more" in err


def test_the_management_command_starts_and_stops_a_pool(weft_context: Path) -> None:
    call_command("weft_worker", detach=True, queue="django-command", concurrency=1)
    try:
        [entry] = pools("django-command")
        assert entry.concurrency == 1
        handle = broker_tasks.add.using(queue="django-command").enqueue(2, 2)
        assert handle.result(timeout=60).value == 4
    finally:
        call_command("weft_worker", stop=True, queue="django-command")
    assert not pools("django-command")
    stop_pool("django-command")


def test_loglevel_info_logs_each_call_as_celery_worker_l_info_does(weft_context: Path) -> None:
    process = worker(
        "--queue", "cli-logged", "--concurrency", "1", "--loglevel", "info",
        context=weft_context, WEFT_COMPAT_IMPORTS="tests.broker_tasks",
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not pools("cli-logged"):
            assert time.monotonic() < deadline, "the worker did not start a pool"
            time.sleep(0.1)
        added = broker_tasks.add.using(queue="cli-logged").enqueue(1, 2)
        failed = broker_tasks.explode.using(queue="cli-logged").enqueue("no disk")
        assert added.result(timeout=60).value == 3
        failed.result(timeout=60)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert f"INFO/PoolWorker-1] Task tests.broker_tasks.add[{added.tid}] received" in err
    assert f"Task tests.broker_tasks.add[{added.tid}] succeeded in " in err
    assert f"ERROR/PoolWorker-1] Task tests.broker_tasks.explode[{failed.tid}] raised" in err
    assert "no disk" in err
