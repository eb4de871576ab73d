"""The backend in weft_compat's test modes, and what it checks before anything is queued."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("django.tasks", reason="django.tasks needs Django 6.0 or later")

from django.db import transaction
from django.http import HttpRequest
from django.tasks import TaskResultStatus, task_backends
from django.tasks.exceptions import InvalidTask, InvalidTaskBackend, TaskResultDoesNotExist
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.test import Client, override_settings
from django.utils import timezone

import weft_compat
from tests import broker_tasks
from tests.tasks_backend import tasks
from weft_compat import WeftSubmission
from weft_compat.django.backend import WeftTaskBackend
from weft_compat.testing import immediate, recording


@pytest.fixture(autouse=True)
def weft_immediate_mode() -> Any:
    with immediate() as mode:
        yield mode


def test_enqueue_runs_the_task_inline_and_fills_every_field() -> None:
    result = tasks.add.enqueue(2, 3)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert (result.args, result.kwargs, result.backend) == ([2, 3], {}, "weft")
    assert result.enqueued_at and result.started_at and result.finished_at
    assert result.enqueued_at <= result.started_at <= result.finished_at
    assert result.last_attempted_at == result.started_at
    assert result.attempts == 1
    assert tasks.add.get_result(result.id) == result


def test_the_result_is_readable_through_weft_compat_s_handle() -> None:
    result = tasks.add.enqueue(2, 3)
    handle = WeftSubmission.from_tid(result.id)
    assert (handle.state, handle.return_value) == ("SUCCESS", 5)
    assert handle.as_dict()["result"] == 5


def test_a_datetime_argument_is_refused_as_django_refuses_it() -> None:
    with (
        recording() as recorder,
        pytest.raises(TypeError, match=r"argument 0 of .*Unsupported type"),
    ):
        tasks.add.enqueue(datetime.now(), 1)  # type: ignore[arg-type]
    assert recorder.submissions == []


def test_arguments_are_normalised_by_django_s_json_rules() -> None:
    result = tasks.describe_context.enqueue(b"tag")  # type: ignore[arg-type]
    assert result.args == ["tag"]
    assert result.return_value["tag"] == "tag"


def test_a_return_value_django_cannot_encode_fails_the_task() -> None:
    result = tasks.return_lambda.enqueue()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is TypeError
    assert "Unsupported type" in result.errors[0].traceback


def test_a_failure_records_an_importable_exception_class_and_the_traceback() -> None:
    result = tasks.fail.enqueue("no such order")
    assert result.status == TaskResultStatus.FAILED
    (error,) = result.errors
    assert error.exception_class_path == "builtins.LookupError"
    assert error.exception_class is LookupError
    assert error.traceback.endswith("LookupError: no such order\n")
    with pytest.raises(ValueError, match="Task failed"):
        _ = result.return_value
    assert WeftSubmission.from_tid(result.id).errors[0].message == "no such order"


def test_system_exit_fails_the_task_and_keyboard_interrupt_reaches_the_caller() -> None:
    result = tasks.exit_now.enqueue("bye")
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is SystemExit
    assert result.errors[0].traceback.endswith("SystemExit: bye\n")
    with pytest.raises(KeyboardInterrupt):
        tasks.interrupt.enqueue("stop")


def test_takes_context_gets_the_attempt_and_the_running_result() -> None:
    result = tasks.describe_context.enqueue("t")
    seen = result.return_value
    assert (seen["attempt"], seen["id"], seen["status"]) == (1, result.id, "RUNNING")
    assert seen["worker_ids"] == result.worker_ids


def test_an_async_task_runs() -> None:
    result: Any = tasks.add_async.enqueue(1, 2)
    assert result.return_value == 3


def test_aenqueue_and_aget_result() -> None:
    async def main() -> tuple[Any, Any]:
        result = await tasks.add.aenqueue(4, 5)
        return result, await tasks.add.aget_result(result.id)

    result, again = asyncio.run(main())
    assert result.return_value == again.return_value == 9


def test_the_signals_fire_in_order_with_the_backend_as_sender() -> None:
    seen: list[tuple[str, type, str]] = []

    def receiver(signal_name: str) -> Any:
        def receive(sender: type, task_result: Any, **kwargs: Any) -> None:
            seen.append((signal_name, sender, str(task_result.status)))

        return receive

    receivers = {
        signal: receiver(name)
        for signal, name in (
            (task_enqueued, "enqueued"),
            (task_started, "started"),
            (task_finished, "finished"),
        )
    }
    for signal, receive in receivers.items():
        signal.connect(receive)
    try:
        tasks.add.enqueue(1, 1)
    finally:
        for signal, receive in receivers.items():
            signal.disconnect(receive)
    assert seen == [
        ("enqueued", WeftTaskBackend, "READY"),
        ("started", WeftTaskBackend, "RUNNING"),
        ("finished", WeftTaskBackend, "SUCCESSFUL"),
    ]


@pytest.mark.django_db(transaction=True)
def test_enqueue_inside_atomic_submits_at_once() -> None:
    with transaction.atomic():
        result = tasks.add.enqueue(1, 2)
        assert result.status == TaskResultStatus.SUCCESSFUL


def test_the_recording_mode_leaves_the_result_ready() -> None:
    with recording() as recorder:
        result = tasks.add.enqueue(1, 2)
    assert recorder.names() == ["tests.tasks_backend.tasks.add"]
    assert result.status == TaskResultStatus.READY
    assert tasks.add.get_result(result.id).status == TaskResultStatus.READY


def test_an_id_the_backend_never_issued_does_not_exist() -> None:
    backend = task_backends["weft"]
    result_id: Any
    for result_id in ("123", 123, "0" * 19):
        with pytest.raises(TaskResultDoesNotExist):
            backend.get_result(result_id)


def test_a_weft_task_s_id_is_not_a_django_result() -> None:
    handle = broker_tasks.add.enqueue(1, 2)
    with pytest.raises(TaskResultDoesNotExist, match=r"WeftSubmission\.from_tid"):
        task_backends["weft"].get_result(handle.tid)


def test_a_queue_outside_the_backend_s_queues_is_refused() -> None:
    with pytest.raises(InvalidTask, match="Queue 'reports' is not valid"):
        tasks.add.using(queue_name="reports")


def test_a_priority_is_refused_because_queues_run_in_arrival_order() -> None:
    assert WeftTaskBackend.supports_priority is False
    with pytest.raises(InvalidTask, match="priority"):
        tasks.add.using(priority=10)


def test_run_after_is_supported_and_kept_on_the_result() -> None:
    due = timezone.now() + timedelta(hours=1)
    with recording():
        result = tasks.add.using(run_after=due).enqueue(1, 1)
    assert result.task.run_after == due
    assert tasks.add.get_result(result.id).task.run_after == due


def test_options_choose_the_queue_and_lane() -> None:
    backend = task_backends["weft"]
    assert isinstance(backend, WeftTaskBackend)
    assert backend.route("isolated").lane == "isolated"
    assert backend.route("default").lane == "pooled"
    with recording() as recorder:
        tasks.add_isolated.enqueue(1, 1)
    assert recorder.submissions[0].options["lane"] == "isolated"
    assert recorder.submissions[0].options["queue"] == "isolated"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"LANE": "fast"}, r"'LANE'\]='fast' is no lane"),
        ({"SPEED": 1}, r"unknown key\(s\) \['SPEED'\]"),
        ({"QUEUE_MAP": {"nope": "x"}}, r"maps the queue 'nope', which is not in"),
        ({"QUEUE_MAP": {"default": "bad name"}}, r"'bad name', which is not a valid"),
        ({"QUEUE_MAP": {"default": {"lane": "x"}}}, r"'lane'\]='x' is no lane"),
    ],
)
def test_bad_options_are_refused_naming_the_value(options: dict[str, Any], message: str) -> None:
    settings = {"BACKEND": "weft_compat.django.backend.WeftTaskBackend", "OPTIONS": options}
    with (
        override_settings(TASKS={"default": settings}),
        pytest.raises(InvalidTaskBackend, match=message),
    ):
        _ = task_backends["default"]


def test_a_call_enqueued_through_weft_compat_by_name_runs_the_django_task() -> None:
    handle = weft_compat.enqueue("tests.tasks_backend.tasks.add", 1, 2)
    assert (handle.state, handle.return_value) == ("SUCCESS", 3)
    with pytest.raises(TaskResultDoesNotExist):
        tasks.add.get_result(handle.tid)


def allow_all(request: HttpRequest, submission: WeftSubmission, action: str) -> bool:
    return True


@override_settings(WEFT_COMPAT={"AUTHORIZE": "tests.tasks_backend.test_immediate.allow_all"})
def test_weft_compat_s_task_urls_show_the_result(client: Client) -> None:
    result = tasks.add.enqueue(20, 22)
    body = client.get(f"/tasks/{result.id}/").json()
    assert (body["tid"], body["state"], body["result"]) == (result.id, "SUCCESS", 42)


def test_immediate_with_propagate_re_raises_after_task_finished() -> None:
    finished: list[str] = []

    def receive(sender: type, task_result: Any, **kwargs: Any) -> None:
        finished.append(str(task_result.status))

    task_finished.connect(receive)
    try:
        with immediate(propagate=True), pytest.raises(LookupError, match="gone"):
            tasks.fail.enqueue("gone")
    finally:
        task_finished.disconnect(receive)
    assert finished == ["FAILED"]
