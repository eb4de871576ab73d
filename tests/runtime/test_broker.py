"""Calls submitted to a real Weft context and run by real worker processes.

Every call is enqueued once per lane, up front (`handles`), so the workers run them side
by side while the tests read the outcomes; each isolated call costs about a second of
process start-up. Every test runs in both lanes: the semantics are the same.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from tests import broker_tasks
from tests.elsewhere import read_elsewhere
from weft_compat import WeftSubmission
from weft_compat._client import get_client
from weft_compat.exceptions import ResultNotReady, TaskRevokedError

pytestmark = pytest.mark.broker

EDGE_VALUES = {
    "when": datetime(2024, 5, 17, 12, 30, 1, 250, tzinfo=UTC),
    "day": date(2024, 5, 17),
    "amount": Decimal("19.990"),
    "id": UUID("12345678-1234-5678-1234-567812345678"),
    "nested": [Decimal("0.1"), {"deep": date(2000, 1, 1)}],
    "text": "naïve ✓",
}


@pytest.fixture(scope="module", params=["isolated", "pooled"])
def handles(request: pytest.FixtureRequest, weft_context: Path) -> dict[str, WeftSubmission]:
    lane = request.param
    return {
        "add": broker_tasks.add.using(lane=lane).enqueue(2, 3),
        "whoami": broker_tasks.whoami.using(lane=lane).enqueue("x", flag=True),
        "edge": broker_tasks.echo.using(lane=lane).enqueue(EDGE_VALUES),
        "explode": broker_tasks.explode.using(lane=lane).enqueue("no such order"),
        "soft": broker_tasks.cleans_up_after_soft_limit.using(lane=lane).enqueue(),
        "hard": broker_tasks.hangs.using(lane=lane).enqueue(),
        "unencodable": broker_tasks.returns_a_set.using(lane=lane).enqueue(),
        "ignored": broker_tasks.ignored.using(lane=lane).enqueue(),
        # Per-call memory and CPU limits need a process of their own: always isolated.
        "options": broker_tasks.every_honoured_option.using(headers={"trace": "t-1"}).enqueue(21),
        "killed": broker_tasks.sleeps.using(lane=lane).enqueue(30),
    }


def finished(handle: WeftSubmission) -> WeftSubmission:
    handle.result(timeout=90)
    return handle


def test_enqueue_runs_the_task_on_weft_and_returns_its_value(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["add"])
    assert handle.state == "SUCCESS"
    assert handle.status() == "completed"
    assert handle.ready() and handle.successful() and not handle.failed()
    assert handle.return_value == 5
    assert handle.info == 5
    assert handle.wait(timeout=30) == 5
    assert handle.name == "tests.broker_tasks.add"


def test_return_value_can_be_read_again_and_by_a_fresh_handle(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["add"])
    assert handle.result(timeout=5).value == 5
    assert handle.return_value == 5
    assert WeftSubmission.from_tid(handle.tid).return_value == 5


def test_json_edge_types_round_trip_as_under_celery(handles: dict[str, WeftSubmission]) -> None:
    handle = finished(handles["edge"])
    assert handle.return_value == EDGE_VALUES
    assert isinstance(handle.return_value["amount"], Decimal)
    assert handle.as_dict()["result"]["when"] == "2024-05-17T12:30:01.000250+00:00"


def test_bound_task_sees_its_tid_and_call_in_self_request(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["whoami"])
    seen = handle.return_value
    assert seen == {
        "id": handle.tid,
        "retries": 0,
        "args": ["x"],
        "kwargs": {"flag": True},
        "called_directly": False,
        "name": "tests.whoami",
        "tag": "x",
        "flag": True,
    }


def test_a_failing_task_reports_failure_with_exception_path_and_traceback(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["explode"])
    assert handle.state == "FAILURE"
    assert handle.failed() and handle.ready() and not handle.successful()
    [error] = handle.errors
    assert error.exception_class_path == "LookupError"
    assert error.message == "no such order"
    assert "raise LookupError(message)" in error.traceback
    assert handle.traceback == error.traceback
    # As Celery's `result` after a failure: the exception, rebuilt from its record.
    assert isinstance(handle.info, LookupError)
    assert handle.info.args == ("no such order",)
    with pytest.raises(ResultNotReady, match="FAILURE"):
        _ = handle.return_value
    with pytest.raises(LookupError, match="no such order"):
        handle.wait(timeout=30)
    assert isinstance(handle.wait(timeout=30, propagate=False), LookupError)


def test_soft_time_limit_raises_inside_the_task_which_can_clean_up(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["soft"])
    assert handle.return_value == "cleaned up"


def test_hard_time_limit_ends_the_task_as_a_failure(handles: dict[str, WeftSubmission]) -> None:
    handle = finished(handles["hard"])
    assert handle.status() == "timeout"
    assert handle.state == "FAILURE"
    [error] = handle.errors
    assert error.exception_class_path == "weft_compat.exceptions.TimeLimitExceeded"


def test_an_unencodable_return_value_ends_as_a_failure_that_says_so(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["unencodable"])
    assert handle.state == "FAILURE"
    [error] = handle.errors
    assert error.exception_class_path == "weft_compat.exceptions.ResultNotSerializable"
    assert "returned a set" in error.message


def test_ignore_result_succeeds_without_storing_the_value(
    handles: dict[str, WeftSubmission],
) -> None:
    handle = finished(handles["ignored"])
    assert handle.state == "SUCCESS"
    assert handle.return_value is None


def test_every_honoured_option_reaches_weft(handles: dict[str, WeftSubmission]) -> None:
    handle = finished(handles["options"])
    assert handle.return_value == 42
    snapshot = get_client().task(handle.tid).snapshot()
    assert snapshot is not None
    assert snapshot.metadata["team"] == "billing"
    assert snapshot.metadata["weft_compat.queue"] == "emails"
    assert snapshot.metadata["weft_compat.priority"] == 5
    assert snapshot.metadata["weft_compat.headers"] == {"trace": "t-1"}


def test_kill_ends_a_running_task_as_revoked(handles: dict[str, WeftSubmission]) -> None:
    handle = handles["killed"]
    deadline = time.monotonic() + 60
    while handle.status() != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    handle.kill()
    handle.result(timeout=60)
    assert handle.state == "REVOKED"
    assert handle.ready() and not handle.failed()
    assert isinstance(handle.info, TaskRevokedError)
    with pytest.raises(TaskRevokedError):
        handle.wait(timeout=30)


def test_from_tid_in_another_process_reads_the_outcome(
    handles: dict[str, WeftSubmission], weft_context: Path
) -> None:
    tid = finished(handles["add"]).tid
    seen = read_elsewhere(tid, weft_context)["as_dict"]
    assert seen["state"] == "SUCCESS"
    assert seen["result"] == 5
    assert seen["name"] == "tests.broker_tasks.add"


def test_an_id_weft_never_saw_is_unknown_not_pending(weft_context: Path) -> None:
    handle = WeftSubmission.from_tid("1000000000000000001")
    assert handle.exists() is False
    assert handle.state == "UNKNOWN"
    assert handle.status() is None
    assert handle.as_dict()["exists"] is False


def test_a_celery_id_stored_before_the_migration_reads_unknown(weft_context: Path) -> None:
    celery_id = str(uuid4())
    handle = WeftSubmission.from_tid(celery_id.upper())
    assert handle.tid == celery_id
    assert handle.state == "UNKNOWN"
    assert not handle.exists() and not handle.ready()
    assert handle.info is None
    assert handle.as_dict() | {"retries": 0} == {
        "tid": celery_id,
        "name": None,
        "state": "UNKNOWN",
        "status": None,
        "exists": False,
        "ready": False,
        "successful": False,
        "retries": 0,
    }
    handle.stop()  # Nothing to stop, and nothing raised.
    assert handle.state == "UNKNOWN"
