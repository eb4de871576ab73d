"""Celery's retry semantics: `self.retry(...)`, `autoretry_for` and exponential back-off.

`retry()` decides, as Celery's `Task.retry` does, whether another attempt is allowed
(`max_retries`), when it is due (`countdown`, `eta`, else `default_retry_delay`) and with
which arguments; it records that plan on the running call's request and raises `Retry`.
The worker that ran the call then schedules the next attempt through the due queue
(`weft_compat.due`), whichever lane it runs in. `run_with_autoretry` wraps a call the way
Celery's `add_autoretry_behaviour` wraps `Task.run`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from inspect import Parameter
from typing import TYPE_CHECKING, Any

from weft_compat import _serialization
from weft_compat.exceptions import MaxRetriesExceededError, Retry, WeftCompatError

if TYPE_CHECKING:
    from weft_compat._context import TaskRequest
    from weft_compat._task import WeftTask

__all__ = ["RetryPlan", "backoff_delay", "retry", "run_with_autoretry"]


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """The next attempt of a call: when it is due (Unix seconds) and its arguments."""

    eta: float
    args: list[Any]
    kwargs: dict[str, Any]
    retries: int
    exc: BaseException | None = None
    # The arguments encoded as the next attempt's envelope carries them.
    call: str | None = None


def backoff_delay(factor: int, retries: int, maximum: float, *, jitter: bool) -> float:
    """Celery's `get_exponential_backoff_interval`: `factor * 2**retries`, capped, jittered."""
    countdown = int(min(maximum, factor * (2**retries)))
    if jitter:
        countdown = random.randrange(countdown + 1)
    return float(max(0, countdown))


def retry(
    task: WeftTask[Any, Any],
    request: TaskRequest,
    *,
    args: Sequence[Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    exc: BaseException | None = None,
    throw: bool = True,
    eta: datetime | None = None,
    countdown: float | None = None,
    max_retries: int | None = None,
) -> Retry:
    """Plan another attempt of the running call and raise (or return) `Retry`.

    Past the retry limit, raises `exc` when given, else `MaxRetriesExceededError`.
    Called outside a worker (the function called directly), raises `exc` or `Retry`
    at once, as Celery does.
    """
    if request.called_directly:
        raise exc or Retry("Task can be retried", None)
    if eta is not None and eta.utcoffset() is None:
        raise WeftCompatError(
            f"retry(eta={eta!r}) is a naive datetime; pass an aware one such as "
            "datetime.now(UTC) + timedelta(minutes=5)"
        )
    retries = request.retries + 1
    limit = task.config.max_retries if max_retries is None else max_retries
    if eta is None and countdown is None:
        countdown = task.config.default_retry_delay
    new_args, new_kwargs = _arguments(task, request, args, kwargs)
    if limit is not None and retries > limit:
        if exc is not None:
            raise exc
        raise MaxRetriesExceededError(
            f"Can't retry {task.name}[{request.id}] args:{tuple(new_args)} kwargs:{new_kwargs}"
        )
    # Arguments the next attempt could not take fail this attempt, in the task.
    task.checker.check(task.name, new_args, new_kwargs)
    call = _serialization.encode_call(task.name, new_args, new_kwargs)
    due = eta.timestamp() if eta is not None else time.time() + float(countdown or 0)
    request.retry_plan = RetryPlan(due, new_args, new_kwargs, retries, exc, call)
    signal = Retry(exc=exc, when=eta or countdown)
    if throw:
        raise signal
    return signal


def _arguments(
    task: WeftTask[Any, Any],
    request: TaskRequest,
    args: Sequence[Any] | None,
    kwargs: Mapping[str, Any] | None,
) -> tuple[list[Any], dict[str, Any]]:
    # Celery's reconciliation (#6494): explicit `args` drop inherited keyword values
    # they now pass positionally; explicit `kwargs` replace inherited positional ones.
    parameters = task.checker.signature.parameters
    if kwargs is None:
        if args is None:
            return list(request.args), dict(request.kwargs)
        inherited = dict(request.kwargs)
        positional = [
            parameter
            for parameter in parameters.values()
            if parameter.kind in (Parameter.POSITIONAL_ONLY, Parameter.POSITIONAL_OR_KEYWORD)
        ]
        for parameter in positional[: len(args)]:
            if parameter.kind == Parameter.POSITIONAL_OR_KEYWORD:
                inherited.pop(parameter.name, None)
        return list(args), inherited
    if args is not None:
        return list(args), dict(kwargs)
    try:
        bound = task.checker.signature.bind_partial(*request.args)
    except TypeError:
        return list(request.args), dict(kwargs)
    explicit = dict(kwargs)
    for name in list(explicit):
        if name in bound.arguments and parameters[name].kind == Parameter.POSITIONAL_OR_KEYWORD:
            bound.arguments[name] = explicit.pop(name)
    return list(bound.args), {**bound.kwargs, **explicit}


def run_with_autoretry(
    task: WeftTask[Any, Any], request: TaskRequest, args: Any, kwargs: Any
) -> Any:
    """Run one call, retrying on `autoretry_for` exceptions as Celery's wrapper does."""
    config = task.config
    try:
        return task.run(request, args, kwargs)
    except Retry:
        raise
    except Exception as error:
        if (
            not config.autoretry_for
            or not isinstance(error, config.autoretry_for)
            or isinstance(error, config.dont_autoretry_for)
        ):
            raise
        options: dict[str, Any] = dict(config.retry_kwargs)
        if config.backoff_factor:
            options["countdown"] = backoff_delay(
                config.backoff_factor,
                request.retries,
                config.retry_backoff_max,
                jitter=config.retry_jitter,
            )
        raise retry(task, request, exc=error, **options) from error
