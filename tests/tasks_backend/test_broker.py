"""The backend against a real Weft context: workers of both lanes run `django.tasks`
tasks, fill `TaskResult` from another process, and send the task signals there."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("django.tasks", reason="django.tasks needs Django 6.0 or later")

from django.tasks import TaskResultStatus
from django.utils import timezone

from tests.tasks_backend import tasks
from weft_compat import WeftSubmission

pytestmark = pytest.mark.broker

TASKS = {"pooled": tasks.add, "isolated": tasks.add_isolated}


def finished(result_id: str, *, timeout: float = 60) -> None:
    WeftSubmission.from_tid(result_id).result(timeout=timeout)


@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_a_worker_of_each_lane_runs_the_task_and_get_result_reads_it(
    lane: str, weft_context: Path
) -> None:
    result = TASKS[lane].enqueue(2, 3)
    assert str(result.status) == "READY"
    finished(result.id)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.enqueued_at and result.started_at and result.finished_at
    assert result.return_value == 5
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    assert len(result.worker_ids) == 1
    assert result.worker_ids[0].endswith(f":{os.getpid()}") is False
    assert TASKS[lane].get_result(result.id) == result
    handle = WeftSubmission.from_tid(result.id)
    assert (handle.state, handle.return_value, handle.name) == (
        "SUCCESS",
        5,
        TASKS[lane].module_path,
    )


def journal(path: Path) -> list[dict[str, object]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_the_signals_fire_in_order_enqueued_here_started_and_finished_in_the_worker(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    queue = "isolated" if lane == "isolated" else "default"
    ok, failed = tmp_path / "ok.jsonl", tmp_path / "fail.jsonl"
    results = [
        tasks.journalled.using(queue_name=queue).enqueue(str(path), path.stem)
        for path in (ok, failed)
    ]
    for result in results:
        finished(result.id)
    for path, result, status in ((ok, results[0], "SUCCESSFUL"), (failed, results[1], "FAILED")):
        entries = journal(path)
        assert [entry["signal"] for entry in entries] == [
            "task_enqueued",
            "task_started",
            "task_finished",
        ]
        assert {entry["id"] for entry in entries} == {result.id}
        assert entries[0]["pid"] == os.getpid()
        assert entries[1]["pid"] == entries[2]["pid"] != os.getpid()
        assert [entry["status"] for entry in entries] == ["READY", "RUNNING", status]
        assert {entry["sender"] for entry in entries} == {"WeftTaskBackend"}
    failure = tasks.journalled.get_result(results[1].id)
    assert failure.status == TaskResultStatus.FAILED
    (error,) = failure.errors
    assert error.exception_class is ValueError
    assert error.traceback.endswith("ValueError: as asked\n")
    with pytest.raises(ValueError, match="Task failed"):
        _ = failure.return_value
    assert WeftSubmission.from_tid(failure.id).state == "FAILURE"


def test_a_call_with_run_after_waits_until_then_in_the_due_lane(weft_context: Path) -> None:
    due = timezone.now() + timedelta(seconds=2)
    result = tasks.add.using(run_after=due).enqueue(1, 1)
    assert tasks.add.get_result(result.id).status == TaskResultStatus.READY
    assert result.task.run_after == due
    finished(result.id)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.started_at
    assert result.started_at >= due
    assert result.task.run_after == due


def test_system_exit_and_keyboard_interrupt_in_a_worker_fail_the_call(weft_context: Path) -> None:
    # Pooled only: the task's own code turns both into a failure before the lane sees it,
    # so the isolated lane ends the same way at the cost of two more processes.
    exits = tasks.exit_now.enqueue("bye")
    interrupts = tasks.interrupt.enqueue("stop")
    for result, exception in ((exits, SystemExit), (interrupts, KeyboardInterrupt)):
        finished(result.id)
        result.refresh()
        assert result.status == TaskResultStatus.FAILED
        assert result.errors[0].exception_class is exception
        handle = WeftSubmission.from_tid(result.id)
        assert handle.state == "FAILURE"
        assert handle.errors[0].exception_class_path.endswith("TaskInterrupted")
