"""Running one call: the code every lane and the immediate test mode share.

Resolve the task by name (in the registry only: what a worker imports is its
configuration, never the call's), decode the arguments, build the request, apply the
soft time limit, run the task's class (its hooks around its `run`) and encode the
return value, sending Celery's task signals where Celery's tracer sends them. Failures
become an `Outcome` carrying the exception's import path and traceback text.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from weft_compat import _serialization
from weft_compat._context import TaskRequest
from weft_compat._envelope import Envelope
from weft_compat._errors import TaskError
from weft_compat._outcome import Outcome
from weft_compat._progress import running
from weft_compat._retry import RetryPlan, run_with_autoretry
from weft_compat._revoked import announce_revoked
from weft_compat._states import FAILURE, RETRY, SUCCESS
from weft_compat._taskclass import ExceptionInfo
from weft_compat._worker_config import resolve_task
from weft_compat.exceptions import (
    ResultNotSerializable,
    Retry,
    SoftTimeLimitExceeded,
    WeftCompatError,
)
from weft_compat.signals import (
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
)

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

__all__ = ["CallResult", "announce_expired", "run_call"]

_log = logging.getLogger("weft_compat")


@dataclass(frozen=True, slots=True)
class CallResult:
    """The outcome of one call, plus the exception for callers that re-raise it.

    When the call asked for another attempt, `retry` holds the plan and `outcome` is a
    `RETRY` state (not an end) carrying the error that caused it.
    """

    outcome: Outcome
    exception: BaseException | None = None
    retry: RetryPlan | None = None


def run_call(
    envelope: Envelope,
    *,
    request_id: Callable[[], str | None] | str | None,
    eager: bool = False,
) -> CallResult:
    """Run the call described by `envelope`; never raises for the task's own errors.

    The task class's hooks run as Celery's tracer runs them: `before_start` before the
    run (an error there fails the call), then `on_success`, `on_retry` or `on_failure`,
    then `after_return`; an error in one of those is logged and changes nothing. The
    signals go where the tracer sends them: `task_prerun` first, `task_success`,
    `task_retry` or `task_failure` right after the matching hook, `task_postrun` last.
    """
    try:
        task = resolve_task(envelope.task)
        call = _serialization.decode(envelope.call)
        args, kwargs = call["args"], call["kwargs"]
    except Exception as exc:
        error = TaskError.from_exception(exc, traceback=traceback.format_exc())
        return CallResult(Outcome(FAILURE, error=error, task=envelope.task), exc)
    request = TaskRequest(
        task_name=task.name,
        args=args,
        kwargs=kwargs,
        id=request_id if isinstance(request_id, str) else None,
        id_resolver=request_id if callable(request_id) else None,
        retries=envelope.attempt - 1,
        is_eager=eager,
        headers=envelope.headers,
    )
    request.instance = task.instance
    with running(request):
        started = time.monotonic()
        if task_prerun.receivers:
            task_prerun.send(sender=task, task_id=request.id, task=task, args=args, kwargs=kwargs)
        result, retval = _attempt(task, request, envelope, eager=eager)
        _after(task, request, result, retval, started)
        if task_postrun.receivers:
            task_postrun.send(
                sender=task,
                task_id=request.id,
                task=task,
                args=args,
                kwargs=kwargs,
                retval=retval,
                state=result.outcome.state,
            )
    return result


def _attempt(
    task: WeftTask[Any, Any], request: TaskRequest, envelope: Envelope, *, eager: bool
) -> tuple[CallResult, Any]:
    # The call's result, and Celery's `retval`: the value it returned, the exception it
    # failed with, or the `Retry` that asked for the next attempt.
    args, kwargs = request.args, request.kwargs
    try:
        try:
            with soft_time_limit(None if eager else envelope.soft_time_limit):
                task.instance.before_start(request.id, args, kwargs)
                value = run_with_autoretry(task, request, args, kwargs)
        except Retry as signal:
            if request.retry_plan is None:
                raise WeftCompatError(
                    f"{task.name!r} raised Retry itself; call self.retry(...) (or raise its "
                    "result), which schedules the next attempt"
                ) from signal
            return _retrying(envelope, request.retry_plan, signal)
        if request.retry_plan is not None:  # self.retry(throw=False), then returned
            return _retrying(envelope, request.retry_plan, None)
        if envelope.ignore_result:
            return CallResult(Outcome(SUCCESS, value=None, task=envelope.task)), value
        try:
            encoded = _serialization.encode(value)
        except (TypeError, ValueError) as exc:
            raise ResultNotSerializable(
                f"{task.name!r} returned a {type(value).__qualname__} "
                f"({_serialization.describe(value)}), which Celery-compatible JSON cannot "
                "encode; return JSON types, datetime, Decimal, UUID or bytes"
            ) from exc
        return CallResult(Outcome(SUCCESS, value=encoded, task=envelope.task)), value
    except Exception as exc:
        if request.retry_plan is not None:
            # self.retry(throw=False) planned the next attempt before this error: Celery
            # has sent that attempt by then, so it runs, with this error as the cause.
            return _retrying(envelope, request.retry_plan, exc)
        error = TaskError.from_exception(exc, traceback=traceback.format_exc())
        return CallResult(Outcome(FAILURE, error=error, task=envelope.task), exc), exc


def _after(
    task: WeftTask[Any, Any],
    request: TaskRequest,
    result: CallResult,
    retval: Any,
    started: float,
) -> None:
    instance = task.instance
    task_id, args, kwargs = request.id, request.args, request.kwargs
    state = result.outcome.state
    if state == SUCCESS:
        _hook(instance.on_success, retval, task_id, args, kwargs)
        if task_success.receivers:
            task_success.send(sender=task, result=retval, runtime=time.monotonic() - started)
        _hook(instance.after_return, SUCCESS, retval, task_id, args, kwargs, None)
        return
    if result.retry is not None:
        cause = result.retry.exc or retval
        _hook(instance.on_retry, cause, task_id, args, kwargs, ExceptionInfo(cause))
        if task_retry.receivers:
            task_retry.send(
                sender=task, request=request, reason=retval, einfo=ExceptionInfo(retval)
            )
    elif result.exception is not None:
        cause = result.exception
        einfo = ExceptionInfo(cause)
        _hook(instance.on_failure, cause, task_id, args, kwargs, einfo)
        if task_failure.receivers:
            task_failure.send(
                sender=task,
                task_id=task_id,
                exception=cause,
                args=args,
                kwargs=kwargs,
                traceback=cause.__traceback__,
                einfo=einfo,
            )
    else:
        return
    _hook(instance.after_return, state, cause, task_id, args, kwargs, None)


def announce_expired(envelope: Envelope, request_id: str | None) -> None:
    """Send `task_revoked` for a call not started because it expired (Celery's worker
    sends it as it discards the call), if its task is registered here."""
    announce_revoked(envelope.task, request_id, envelope, expired=True)


def _hook(hook: Callable[..., Any], *arguments: Any) -> None:
    try:
        hook(*arguments)
    except Exception:
        _log.exception("weft_compat: %s raised; the call's outcome stands", hook.__qualname__)


def _retrying(
    envelope: Envelope, plan: RetryPlan, signal: BaseException | None
) -> tuple[CallResult, Retry]:
    # The `RETRY` result, and the `Retry` that asked for it (rebuilt when the task
    # called `self.retry(throw=False)` and never raised it).
    cause = plan.exc or signal
    error = None
    if cause is not None:
        error = TaskError.from_exception(
            cause, traceback="".join(traceback.format_exception(cause))
        )
    if not isinstance(signal, Retry):
        signal = Retry(exc=cause, when=datetime.fromtimestamp(plan.eta, UTC))
    return CallResult(Outcome(RETRY, error=error, task=envelope.task), retry=plan), signal


@contextmanager
def soft_time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `SoftTimeLimitExceeded` in this (main) thread after `seconds`."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expired(_signum: int, _frame: FrameType | None) -> None:
        raise SoftTimeLimitExceeded(f"soft time limit ({seconds:g}s) exceeded")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
