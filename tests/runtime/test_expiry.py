"""Call records expire after `result_expires`, so the broker stays bounded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests import broker_tasks
from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._broker import call_record, get_broker
from weft_compat._config import validate_settings
from weft_compat._expiry import EXPIRY_PREFIX, SWEEP_MARKER, flush_ended, maybe_sweep, sweep
from weft_compat._outcome import Outcome, note, read_outcome, write_outcome
from weft_compat._states import SUCCESS

SECOND = 10**9


@pytest.fixture
def broker_only(tmp_path: Path) -> Iterator[Path]:
    """A context of its own, used through the broker only (no workers start)."""
    with pointed_at(tmp_path):
        yield tmp_path


def records() -> list[str]:
    return get_broker().list_queues(prefix=call_record(""))


def ended(call_id: str, expires: float, *, batched: bool = False) -> None:
    write_outcome(call_id, Outcome(SUCCESS, value="1"), expires=expires, batched=batched)


def test_a_record_is_kept_until_its_expiry_and_deleted_after(broker_only: Path) -> None:
    ended("1000000000000000001", 60)
    now = time.time_ns()
    assert sweep(now_ns=now + 30 * SECOND) == 0
    assert read_outcome("1000000000000000001") is not None
    assert sweep(now_ns=now + 61 * SECOND) == 1
    assert read_outcome("1000000000000000001") is None
    assert WeftSubmission.from_tid("1000000000000000001").state == "UNKNOWN"
    assert get_broker().list_queues(prefix=EXPIRY_PREFIX) == []


def test_each_call_keeps_its_own_expiry(broker_only: Path) -> None:
    ended("1000000000000000001", 10)
    ended("1000000000000000002", 3600)
    sweep(now_ns=time.time_ns() + 20 * SECOND)
    assert read_outcome("1000000000000000001") is None
    assert read_outcome("1000000000000000002") is not None


def test_zero_keeps_a_record_for_ever(broker_only: Path) -> None:
    ended("1000000000000000001", 0)
    sweep(now_ns=time.time_ns() + 10**6 * SECOND)
    assert read_outcome("1000000000000000001") is not None


def test_a_running_call_with_progress_is_never_swept(broker_only: Path) -> None:
    note("1000000000000000001", "redelivered", delivery=1)
    ended("1000000000000000002", 1)
    assert sweep(now_ns=time.time_ns() + 10**6 * SECOND, full=True) == 1
    assert records() == [call_record("1000000000000000001")]


def test_a_pool_process_indexes_ended_calls_a_batch_at_a_time(broker_only: Path) -> None:
    for number in range(5):
        ended(f"10000000000000000{number:02d}", 1, batched=True)
    assert get_broker().list_queues(prefix=EXPIRY_PREFIX) == []
    flush_ended()
    [bucket] = get_broker().list_queues(prefix=EXPIRY_PREFIX)
    assert len(get_broker().peek_many(bucket, 10, with_timestamps=False)) == 1
    assert sweep(now_ns=time.time_ns() + 2 * SECOND) == 5
    assert records() == []


def test_the_full_sweep_finds_records_the_index_never_heard_of(broker_only: Path) -> None:
    ended("1000000000000000001", 1)
    # A record whose indexing was lost: written straight to the broker.
    get_broker().write(call_record("1000000000000000002"), Outcome(SUCCESS).to_json())
    now = time.time_ns() + 3 * 24 * 3600 * SECOND  # Twice the longest expiry, a day.
    assert sweep(now_ns=now) == 1
    assert records() == [call_record("1000000000000000002")]
    assert sweep(now_ns=now, full=True) == 1
    assert records() == []


def test_only_one_process_a_minute_sweeps(broker_only: Path) -> None:
    maybe_sweep()
    marks = get_broker().peek_many(SWEEP_MARKER, 10, with_timestamps=True)
    assert len(marks) == 1


def test_the_setting_takes_seconds_or_a_timedelta_as_celery_does() -> None:
    assert (
        validate_settings({"RESULT_EXPIRES": timedelta(hours=2)}, where="W").RESULT_EXPIRES == 7200
    )
    assert validate_settings({}, where="W").RESULT_EXPIRES == 24 * 3600


@pytest.mark.broker
@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_the_records_of_many_calls_go_away_after_their_expiry(
    lane: str, weft_context: Path
) -> None:
    count = 200 if lane == "pooled" else 3
    handles = [
        broker_tasks.add.using(lane=lane, result_expires=1).enqueue(index, 1)
        for index in range(count)
    ]
    assert [handle.wait(timeout=120) for handle in handles] == [i + 1 for i in range(count)]
    deadline = time.monotonic() + 60
    kept = {call_record(handle.tid) for handle in handles}
    while kept & set(records()):
        # Sweeps run about once a minute in the workers; this one runs now.
        sweep()
        assert time.monotonic() < deadline, f"{len(kept & set(records()))} records left"
        time.sleep(0.5)
    if lane == "pooled":
        assert all(handle.state == "UNKNOWN" for handle in handles)
    else:  # Weft keeps its own record of the task, as long as Weft keeps it.
        assert all(handle.state == "SUCCESS" for handle in handles)
