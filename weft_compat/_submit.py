"""The one submission path: validate and encode a call, then hand it to Weft.

`prepare_call` does everything that can fail because of the caller (signature,
JSON encoding, options) and touches no broker, so a bad call is refused before
anything is submitted; `dispatch` submits a prepared call (or, in a test mode, runs
or records it), between Celery's `before_task_publish` and `after_task_publish`.
`enqueue`, `enqueue_on_commit` and `weft_compat.enqueue` all go through these two
functions.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from weft_compat import _serialization, _testmode
from weft_compat._config import Lane, QueueConfig, Settings, current_settings, message_limit
from weft_compat._envelope import Envelope
from weft_compat._lanes import lane
from weft_compat._options import CallOptions
from weft_compat._owner import current_owner
from weft_compat._publish import before_publish
from weft_compat._submission import WeftSubmission, local_owners, submitted

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from weft_compat._task import WeftTask

__all__ = ["PreparedCall", "dispatch", "prepare_call", "retimed", "submit"]


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A validated, encoded call that has not been submitted, and where it will run."""

    task: WeftTask[Any, Any]
    options: CallOptions
    envelope: Envelope
    lane: Lane
    queue: QueueConfig


def resolve_lane(options: CallOptions, settings: Settings) -> tuple[str, Lane, QueueConfig]:
    """The queue a call goes to, the lane it runs in, and that queue's configuration.

    The task's (or call's) own `lane` wins; per-call resource limits need a process of
    their own, so they imply the isolated lane; otherwise the queue's lane applies.
    """
    queue, config = settings.queue_config(options.queue)
    if options.lane is not None:
        return queue, options.lane, config
    if options.memory_mb is not None or options.cpu_percent is not None:
        return queue, "isolated", config
    return queue, config.lane, config


def prepare_call(
    task: WeftTask[Any, Any], args: Sequence[Any], kwargs: Mapping[str, Any], *, leading: int = 0
) -> PreparedCall:
    """Validate and encode one call; raises before anything is submitted.

    `leading`: values a workflow step receives when it starts, before `args`. The call's
    owner is its `owner` option, else the user the current request acts for (`_owner`).
    """
    task.checker.check(task.name, args, kwargs, leading=leading)
    call = _serialization.encode_call(task.name, args, kwargs)
    _serialization.check_size(task.name, call, args, kwargs, limit=message_limit())
    options = task.options
    settings = current_settings()
    soft = options.soft_time_limit or settings.DEFAULT_SOFT_TIME_LIMIT
    queue, lane, config = resolve_lane(options, settings)
    acks = task.config
    now = time.time()
    envelope = Envelope(
        task=task.name,
        call=call,
        settings_module=os.environ.get("DJANGO_SETTINGS_MODULE"),
        soft_time_limit=soft,
        ignore_result=options.ignore_result,
        headers=dict(options.headers),
        queue=queue,
        time_limit=options.hard_limit or settings.DEFAULT_TIMEOUT,
        redeliver=acks.acks_late is not False and acks.reject_on_worker_lost is not False,
        lane=lane,
        concurrency=config.concurrency if lane == "pooled" else None,
        prefetch_multiplier=config.prefetch_multiplier if lane == "pooled" else None,
        taskspec=task.taskspec_template if lane == "isolated" else None,
        eta=_due(options, now),
        expires=_moment(options.expires, now),
        result_expires=(
            options.result_expires
            if options.result_expires is not None
            else settings.RESULT_EXPIRES
        ),
        result_extended=settings.RESULT_EXTENDED,
        owner=options.owner if options.owner is not None else current_owner(),
    )
    return PreparedCall(task, options, envelope, lane, config)


def retimed(prepared: PreparedCall) -> PreparedCall:
    """`prepared` with `countdown` and seconds-valued `expires` counted from now.

    A call prepared before a transaction commits is timed from the commit, as
    `transaction.on_commit(lambda: task.apply_async(countdown=...))` is in Celery.
    """
    now = time.time()
    envelope = dataclasses.replace(
        prepared.envelope,
        eta=_due(prepared.options, now),
        expires=_moment(prepared.options.expires, now),
    )
    return dataclasses.replace(prepared, envelope=envelope)


def _due(options: CallOptions, now: float) -> float | None:
    # Due in the future only; a countdown of 0 or a past eta submits at once, as in Celery.
    due = _moment(options.eta, now) if options.eta is not None else None
    if options.countdown:
        due = now + options.countdown
    return due if due is not None and due > now else None


def _moment(value: float | datetime | None, now: float) -> float | None:
    """Unix seconds for an aware datetime, or `now` plus a number of seconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp()
    return now + value


def dispatch(prepared: PreparedCall) -> WeftSubmission:
    """Submit a prepared call in its lane, or run/record it when a test mode is active.

    The publish signals go around a submission and a recorded call, not a call the
    immediate mode runs (Celery's eager mode publishes nothing either).
    """
    mode = _testmode.active_mode()
    if mode is not None and not mode.publishes:
        return _hand_over(prepared, mode)
    publication = before_publish(prepared.envelope, priority=prepared.options.priority)
    handle = _hand_over(prepared, mode)
    if publication is not None:
        publication.published(handle.tid)
    return handle


def _hand_over(prepared: PreparedCall, mode: _testmode.Mode | None) -> WeftSubmission:
    if mode is not None:
        handle = mode.handle(prepared)
        if prepared.envelope.owner is not None:
            local_owners[handle.tid] = prepared.envelope.owner
        return handle
    # A call due later waits in the due lane, whichever lane it runs in then.
    where = lane("due") if prepared.envelope.eta is not None else lane(prepared.lane)
    return submitted(where.name, where.submit(prepared), prepared.task.name)


def submit(
    task: WeftTask[Any, Any], args: Sequence[Any], kwargs: Mapping[str, Any]
) -> WeftSubmission:
    """Validate, encode and submit one call."""
    return dispatch(prepare_call(task, args, kwargs))
