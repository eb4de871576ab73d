"""A Celery call made into a prepared weft_compat call, through the one submission path.

The task is looked up by the name the message gives (Celery's `name=` or its default
`module.function`), among the tasks this process registered: nothing is imported
because a message names it. The call goes through `prepare_call` as `enqueue` does
(signature, JSON encoding, options, lane), with what the message keeps: its queue (as
the drain maps it), `eta` (Celery has turned a `countdown` into one), `expires`, time
limits, custom headers, and its retry count as the attempt. The Celery id becomes the
call's record id.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from weft_compat import _registry
from weft_compat._submit import PreparedCall, prepare_call
from weft_compat.drain._message import CeleryCall, Unrunnable
from weft_compat.exceptions import WeftCompatError

__all__ = ["prepare_drained"]


def prepare_drained(call: CeleryCall, queue: str) -> PreparedCall:
    """The prepared call of `call`, bound for the weft_compat queue `queue`; raises
    `Unrunnable` when no task has its name or the call does not fit the task."""
    task = _registry.lookup(call.task)
    if task is None:
        raise Unrunnable(
            f"no task is registered as {call.task!r} here; import its module (--include) "
            "or register it under that name, then requeue the parked messages",
            task=call.task,
            task_id=call.task_id,
        )
    options: dict[str, Any] = {"queue": queue, "eta": call.eta, "expires": call.expires}
    if call.time_limit is not None:
        options["time_limit"] = call.time_limit
    if call.soft_time_limit is not None:
        options["soft_time_limit"] = call.soft_time_limit
    if call.headers:
        options["headers"] = call.headers
    try:
        prepared = prepare_call(task.using(**options), call.args, call.kwargs)
    except (WeftCompatError, TypeError, ValueError) as exc:
        raise Unrunnable(
            f"the call does not fit the task {call.task!r}: {exc}",
            task=call.task,
            task_id=call.task_id,
        ) from exc
    envelope = dataclasses.replace(
        prepared.envelope, attempt=call.retries + 1, call_id=call.task_id
    )
    return dataclasses.replace(prepared, envelope=envelope)
