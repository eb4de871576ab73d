"""Retries with Celery's semantics, in both lanes: every attempt is its own submission,
delays go through the due queue, and the first handle follows the chain to the end."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from tests import broker_tasks
from tests.elsewhere import read_elsewhere
from weft_compat import WeftSubmission
from weft_compat._outcome import read_events
from weft_compat.testing import immediate

pytestmark = pytest.mark.broker

LANES = ["pooled", "isolated"]


def attempts(marker: Path) -> list[float]:
    return [float(line) for line in marker.read_text().splitlines()]


@pytest.mark.parametrize("lane", LANES)
def test_autoretry_for_retries_until_success_and_the_counts_agree(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "flaky"
    handle = broker_tasks.flaky.using(lane=lane).enqueue(str(marker), failures=2)
    assert handle.result(timeout=120).value == {"attempts": 3, "retries": 2}
    assert handle.state == "SUCCESS"
    assert handle.retries == 2
    assert len(attempts(marker)) == 3
    retry_events = [event for event in read_events(handle.tid) if event.get("state") == "RETRY"]
    assert [event["retries"] for event in retry_events] == [1, 2]
    assert read_elsewhere(handle.tid, weft_context)["as_dict"]["retries"] == 2


@pytest.mark.parametrize("lane", LANES)
def test_self_retry_with_new_arguments_runs_again(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "itself"
    handle = broker_tasks.retries_itself.using(lane=lane).enqueue(str(marker))
    assert handle.result(timeout=120).value == 2
    assert len(attempts(marker)) == 3


@pytest.mark.parametrize("lane", LANES)
def test_max_retries_exhausted_fails_with_the_tasks_own_error(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "never"
    handle = broker_tasks.never_connects.using(lane=lane).enqueue(str(marker))
    handle.result(timeout=120)
    assert handle.state == "FAILURE"
    assert handle.errors[0].exception_class_path == "ConnectionError"
    assert "warehouse is down" in handle.errors[0].message
    assert len(attempts(marker)) == 3  # the first attempt and max_retries=2 retries
    assert handle.retries == 2


@pytest.mark.parametrize("lane", LANES)
def test_retry_without_exc_past_the_limit_raises_max_retries_exceeded(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "noexc"
    handle = broker_tasks.retries_without_exc.using(lane=lane).enqueue(str(marker))
    handle.result(timeout=120)
    assert handle.state == "FAILURE"
    error = handle.errors[0]
    assert error.exception_class_path == "weft_compat.exceptions.MaxRetriesExceededError"
    assert "Can't retry tests.broker_tasks.retries_without_exc" in error.message
    assert len(attempts(marker)) == 2


@pytest.mark.parametrize("lane", LANES)
def test_backoff_without_jitter_waits_one_then_two_seconds(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "backoff"
    handle = broker_tasks.backs_off.using(lane=lane).enqueue(str(marker))
    assert handle.result(timeout=120).value == "done"
    started = attempts(marker)
    gaps = [later - earlier for earlier, later in itertools.pairwise(started)]
    # Each gap is at least the back-off delay; on top of it comes the next attempt's
    # start-up (a process in the isolated lane), which a loaded machine stretches, so
    # the upper bound is only there to catch a delay of the wrong size.
    assert len(gaps) == 2
    for gap, delay in zip(gaps, [1.0, 2.0], strict=True):
        assert delay <= gap < delay + 30.0, gaps


@pytest.mark.parametrize("lane", LANES)
def test_the_first_handle_reports_retry_between_attempts_with_the_error_as_info(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "slow"
    handle = broker_tasks.retries_once_slowly.using(lane=lane).enqueue(str(marker))
    deadline = time.monotonic() + 90
    while handle.state != "RETRY":
        assert time.monotonic() < deadline, handle.as_dict()
        time.sleep(0.05)
    seen = read_elsewhere(handle.tid, weft_context)
    assert seen["state"] == "RETRY"
    assert seen["as_dict"]["retries"] == 1 and not seen["as_dict"]["ready"]
    assert seen["info"] == {"exception": "TimeoutError", "args": ["upstream timed out"]}
    assert seen["as_dict"]["info"]["message"] == "upstream timed out"
    info = handle.info
    assert isinstance(info, TimeoutError)
    assert str(info) == "upstream timed out"
    assert handle.result(timeout=90).value == "second time lucky"
    assert WeftSubmission.from_tid(handle.tid).state == "SUCCESS"


def test_immediate_mode_runs_retries_at_once(tmp_path: Path) -> None:
    marker = tmp_path / "eager"
    with immediate():
        handle = broker_tasks.flaky.enqueue(str(marker), failures=1)
    assert handle.return_value == {"attempts": 2, "retries": 1}
