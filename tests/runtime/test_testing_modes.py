"""The test modes that replace CELERY_TASK_ALWAYS_EAGER: immediate and recording."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from tests import broker_tasks
from weft_compat import WeftSubmission
from weft_compat.exceptions import ResultNotReady
from weft_compat.testing import ImmediateMode, Recorder, immediate, recording


def test_immediate_runs_the_call_inline_and_returns_a_handle() -> None:
    with immediate():
        handle = broker_tasks.add.enqueue(2, 3)
    assert handle.state == "SUCCESS"
    assert handle.return_value == 5
    assert handle.result().value == 5
    assert WeftSubmission.from_tid(handle.tid).return_value == 5


def test_immediate_applies_the_json_round_trip() -> None:
    with immediate():
        handle = broker_tasks.echo.enqueue((1, Decimal("2.5"), date(2020, 1, 1)))
    assert handle.return_value == [1, Decimal("2.5"), date(2020, 1, 1)]


def test_immediate_gives_bound_tasks_an_eager_request_with_the_handle_tid() -> None:
    with immediate():
        handle = broker_tasks.whoami.enqueue("t")
    assert handle.return_value["id"] == handle.tid
    assert handle.return_value["called_directly"] is False


def test_immediate_records_failures_on_the_handle() -> None:
    with immediate():
        handle = broker_tasks.explode.enqueue("gone")
    assert handle.state == "FAILURE"
    assert handle.errors[0].exception_class_path == "LookupError"
    with pytest.raises(ResultNotReady):
        _ = handle.return_value


def test_immediate_with_propagate_re_raises_like_eager_propagates() -> None:
    with immediate(propagate=True), pytest.raises(LookupError, match="gone"):
        broker_tasks.explode.enqueue("gone")


def test_immediate_still_refuses_bad_calls() -> None:
    with immediate(), pytest.raises(TypeError):
        broker_tasks.add.enqueue(1)


def test_recording_captures_calls_and_runs_nothing() -> None:
    with recording() as recorder:
        handle = broker_tasks.explode.using(queue="low").enqueue("never raised")
    [call] = recorder.submissions
    assert call.name == "tests.broker_tasks.explode"
    assert call.args == ("never raised",)
    assert call.options == {"queue": "low"}
    assert call.tid == handle.tid
    assert handle.state == "PENDING"
    assert not handle.ready()
    assert recorder.names() == ["tests.broker_tasks.explode"]


def test_the_innermost_mode_wins() -> None:
    with recording() as recorder, immediate():
        handle = broker_tasks.add.enqueue(1, 1)
    assert handle.return_value == 2
    assert recorder.submissions == []


def test_the_immediate_fixture(weft_immediate: ImmediateMode) -> None:
    assert broker_tasks.add.enqueue(4, 4).return_value == 8


def test_the_recording_fixture(weft_recording: Recorder) -> None:
    broker_tasks.add.enqueue(4, 4)
    assert weft_recording.names() == ["tests.broker_tasks.add"]


@override_settings(WEFT_COMPAT={"TEST_MODE": "immediate"})
def test_the_immediate_setting_replaces_task_always_eager() -> None:
    assert broker_tasks.add.enqueue(5, 5).return_value == 10


@override_settings(WEFT_COMPAT={"TEST_MODE": "recording"})
def test_the_recording_setting_runs_nothing() -> None:
    assert broker_tasks.explode.enqueue("never").state == "PENDING"
