"""Celery's retry arithmetic and `self.retry` decisions, without a broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from weft_compat import weft_task
from weft_compat._context import TaskRequest
from weft_compat._progress import running
from weft_compat._registry import unregister
from weft_compat._retry import backoff_delay, retry
from weft_compat.exceptions import (
    ArgumentNotSerializable,
    InvalidCallArguments,
    MaxRetriesExceededError,
    Retry,
    WeftCompatError,
)


@weft_task(bind=True, name="tests.retry_policy.sample", max_retries=2, default_retry_delay=7)
def sample(self: Any, x: int) -> int:
    return x


unregister(sample.name)


def request(retries: int = 0, **extra: Any) -> TaskRequest:
    return TaskRequest(
        task_name=sample.name, args=[1], kwargs={}, id="1" * 19, retries=retries, **extra
    )


@pytest.mark.parametrize(
    ("factor", "retries", "maximum", "expected"),
    [(1, 0, 600, 1), (1, 3, 600, 8), (2, 4, 600, 32), (1, 20, 600, 600), (3, 2, 10, 10)],
)
def test_backoff_without_jitter_matches_celery(
    factor: int, retries: int, maximum: int, expected: int
) -> None:
    assert backoff_delay(factor, retries, maximum, jitter=False) == expected


def test_backoff_with_jitter_stays_between_zero_and_the_delay() -> None:
    draws = {backoff_delay(1, 4, 600, jitter=True) for _ in range(200)}
    assert draws <= set(map(float, range(17))) and len(draws) > 1


def test_retry_plans_the_next_attempt_after_the_default_delay() -> None:
    call = request()
    before = time.time()
    with pytest.raises(Retry) as raised:
        retry(sample, call)
    plan = call.retry_plan
    assert plan is not None and plan.retries == 1 and plan.args == [1]
    assert before + 7 <= plan.eta <= time.time() + 7
    assert raised.value.when == 7 and str(raised.value) == "Retry in 7.0s"


def test_retry_with_eta_and_new_arguments() -> None:
    call = request()
    when = datetime.now(UTC) + timedelta(minutes=5)
    signal = retry(pair, call, args=(2,), kwargs={"y": 3}, eta=when, throw=False)
    assert isinstance(signal, Retry)
    assert call.retry_plan is not None
    assert call.retry_plan.eta == when.timestamp()
    assert (call.retry_plan.args, call.retry_plan.kwargs) == ([2], {"y": 3})


@weft_task(bind=True, name="tests.retry_policy.pair")
def pair(self: Any, x: int, y: int = 0) -> int:
    return x + y


unregister(pair.name)


@pytest.mark.parametrize(
    ("inherited", "explicit", "expected"),
    [
        # Explicit args drop inherited keywords they now pass positionally (Celery #6494).
        (([1], {"y": 2}), {"args": (5, 6)}, ([5, 6], {})),
        (([1], {"y": 2}), {"args": (5,)}, ([5], {"y": 2})),
        # Explicit kwargs replace inherited positional values by name.
        (([1, 2], {}), {"kwargs": {"x": 9}}, ([9, 2], {})),
        (([1], {}), {"kwargs": {"y": 4}}, ([1], {"y": 4})),
        # Both given: taken as they are; neither: the call's own.
        (([1], {"y": 2}), {"args": (3,), "kwargs": {}}, ([3], {})),
        (([1], {"y": 2}), {}, ([1], {"y": 2})),
    ],
)
def test_retry_arguments_are_reconciled_as_celery_does(
    inherited: tuple[list[Any], dict[str, Any]],
    explicit: dict[str, Any],
    expected: tuple[list[Any], dict[str, Any]],
) -> None:
    call = TaskRequest(
        task_name=pair.name, args=inherited[0], kwargs=inherited[1], id="1" * 19, retries=0
    )
    retry(pair, call, countdown=1, throw=False, **explicit)
    assert call.retry_plan is not None
    assert (call.retry_plan.args, call.retry_plan.kwargs) == expected


def test_retry_arguments_the_next_attempt_cannot_take_fail_in_the_task() -> None:
    call = TaskRequest(task_name=pair.name, args=[1], kwargs={}, id="1" * 19, retries=0)
    with pytest.raises(InvalidCallArguments, match=r"cannot take the arguments"):
        retry(pair, call, args=(1, 2, 3))
    with pytest.raises(ArgumentNotSerializable, match=r"positional argument 0 of"):
        retry(pair, call, args=(object(),))
    assert call.retry_plan is None  # Nothing planned: the attempt fails with that error.


def test_past_the_limit_raises_exc_or_max_retries_exceeded() -> None:
    with pytest.raises(MaxRetriesExceededError, match=r"Can't retry tests.retry_policy.sample"):
        retry(sample, request(retries=2))
    with pytest.raises(KeyError):
        retry(sample, request(retries=2), exc=KeyError("gone"))
    # A per-retry limit overrides the task's.
    with pytest.raises(Retry):
        retry(sample, request(retries=2), max_retries=5)


def test_called_directly_raises_the_exc_at_once() -> None:
    with pytest.raises(ValueError, match="boom"):
        retry(sample, request(called_directly=True), exc=ValueError("boom"))


def test_a_naive_eta_is_refused_with_the_value() -> None:
    naive = datetime(2030, 1, 1)
    with pytest.raises(WeftCompatError, match=r"retry\(eta=datetime"):
        retry(sample, request(), eta=naive)


def test_a_bound_self_exposes_celerys_retry_names() -> None:
    bound = sample.instance
    assert (bound.max_retries, bound.default_retry_delay) == (2, 7)
    assert bound.MaxRetriesExceededError is MaxRetriesExceededError
    with running(request()), pytest.raises(Retry):
        bound.retry(countdown=1)


calls: list[str] = []


@weft_task(
    name="tests.retry_policy.picky",
    autoretry_for=(OSError,),
    dont_autoretry_for=(FileNotFoundError,),
    default_retry_delay=0,
)
def picky(kind: str) -> None:
    calls.append(kind)
    raise FileNotFoundError(kind) if kind == "missing" else OSError(kind)


def test_dont_autoretry_for_wins_over_autoretry_for() -> None:
    from weft_compat.testing import immediate

    calls.clear()
    with immediate():
        missing = picky.enqueue("missing")
        flaky = picky.enqueue("flaky")
    assert missing.state == "FAILURE" and missing.errors[0].exception_class_path == (
        "FileNotFoundError"
    )
    assert flaky.state == "FAILURE" and flaky.errors[0].exception_class_path == "OSError"
    assert calls == ["missing"] + ["flaky"] * 4  # the first attempt and 3 retries


attempts: list[int] = []


@weft_task(bind=True, name="tests.retry_policy.planned")
def planned(self: Any, value: str) -> str:
    attempts.append(self.request.retries)
    if self.request.retries == 0:
        self.retry(countdown=0, throw=False)
        raise ValueError("failed after planning a retry")
    return value


def test_a_retry_planned_with_throw_false_runs_even_if_the_attempt_then_fails() -> None:
    from weft_compat.testing import immediate

    attempts.clear()
    with immediate():
        handle = planned.enqueue("second attempt")
    assert attempts == [0, 1]
    assert handle.state == "SUCCESS" and handle.return_value == "second attempt"
