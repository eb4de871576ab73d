"""The due queue: deferred calls and retries held in Weft's broker until they are due.

A deferred call is its envelope (with `eta` set) written to `weft_compat.due`; the
message id is the call's id, so the handle exists at once and resolves anywhere. A retry
is the next attempt's envelope written there together with the `RETRY` event on the
call's record, in one transaction, so a worker lost between the two cannot leave a
retry half-scheduled; the worker sends the publish signals around it, as Celery's worker
does as it publishes a retry. Nothing sleeps per deferred call: a mover (`mover.py`) submits
each one when it is due.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from typing import TYPE_CHECKING

from weft_compat import _serialization
from weft_compat._broker import (
    DUE_QUEUE,
    MOVER_BELL,
    call_record,
    claimed_prefix,
    get_broker,
    pool_key,
)
from weft_compat._doorbell import ring
from weft_compat._envelope import Envelope
from weft_compat._outcome import Outcome, TaskError, write_outcome
from weft_compat._publish import before_publish
from weft_compat._states import RETRY, REVOKED
from weft_compat._worker_config import WorkerConfig
from weft_compat.due._registry import ensure_mover
from weft_compat.pool._registry import ensure_pool

if TYPE_CHECKING:
    from weft_compat._retry import RetryPlan

__all__ = [
    "defer",
    "expired_outcome",
    "is_expired",
    "locate_due",
    "revoke_due",
    "schedule_retry",
]

_REVOKED_ERROR = "weft_compat.exceptions.TaskRevokedError"
_INSERT_ATTEMPTS = 5


def defer(envelope: Envelope, need: WorkerConfig) -> str:
    """Hold `envelope` until its `eta`; returns the call's id.

    `need` is what its worker must load. A pooled call's pool is started now, so it is
    ready when the call is due.
    """
    ensure_mover(need=need)
    if envelope.lane == "pooled":
        key = pool_key(envelope.queue or "default", envelope.settings_module)
        ensure_pool(key, envelope.concurrency or 1, envelope.prefetch_multiplier, need=need)
    call_id = str(get_broker().write(DUE_QUEUE, envelope.to_json()))
    ring(MOVER_BELL)
    return call_id


def schedule_retry(
    envelope: Envelope, record_id: str, plan: RetryPlan, reason: Outcome, need: WorkerConfig
) -> str:
    """Schedule the next attempt of the call `record_id` and mark the call `RETRY`.

    `reason` is the `RETRY` outcome of the attempt that asked (its error is the retry's
    cause, read through `.info`); `need` is what its worker must load. Returns the id
    of the due message. `before_task_publish` and `after_task_publish` go around it, the
    message's id being the call's (`record_id`), as a Celery retry keeps its task id.
    """
    following = dataclasses.replace(
        envelope,
        call=plan.call or _serialization.encode_call(envelope.task, plan.args, plan.kwargs),
        attempt=envelope.attempt + 1,
        eta=plan.eta,
        call_id=record_id,
        claim_queue=None,
        claim_id=None,
    )
    meta = reason.error.to_record() if reason.error is not None else None
    ensure_mover(need=need)
    publication = before_publish(following)
    broker = get_broker()
    for attempt in range(_INSERT_ATTEMPTS):
        due_id, event_id = broker.generate_timestamp(), broker.generate_timestamp()
        event = {
            "state": RETRY,
            "meta": _serialization.encode(meta),
            "retries": plan.retries,
            "eta": plan.eta,
            "attempt_id": str(due_id),
        }
        try:
            broker.insert_messages(
                [
                    (DUE_QUEUE, following.to_json(), due_id),
                    (call_record(record_id), json.dumps(event), event_id),
                ]
            )
        except sqlite3.IntegrityError:  # an id taken meanwhile: draw fresh ones
            if attempt == _INSERT_ATTEMPTS - 1:
                raise
            continue
        ring(MOVER_BELL)
        if publication is not None:
            publication.published(record_id)
        return str(due_id)
    raise AssertionError("unreachable")


def locate_due(call_id: int) -> Envelope | None:
    """The envelope of a call still waiting to be due (or being submitted), else None."""
    broker = get_broker()
    queues = [DUE_QUEUE, *broker.list_queues(prefix=claimed_prefix())]
    for queue in queues:
        body = broker.peek_one(queue, exact_timestamp=call_id, with_timestamps=False)
        if body is not None:
            return Envelope.from_json(body)
    return None


def revoke_due(call_id: int, record_id: str) -> bool:
    """Cancel a call waiting to be due; False if it is not (or no longer) waiting.

    A call a mover has claimed but whose Weft task has not taken the claim yet is
    cancelled too: the task finds no claim and runs nothing.
    """
    broker = get_broker()
    for queue in [DUE_QUEUE, *broker.list_queues(prefix=claimed_prefix())]:
        body = broker.peek_one(queue, exact_timestamp=call_id, with_timestamps=False)
        if body is not None and broker.delete_message_ids(queue, [call_id]) == 1:
            envelope = Envelope.from_json(body)
            outcome = Outcome(REVOKED, status="cancelled", task=envelope.task, owner=envelope.owner)
            write_outcome(record_id, outcome, expires=envelope.result_expires)
            return True
    return False


def is_expired(envelope: Envelope, now: float | None = None) -> bool:
    """Whether the call's `expires` moment has passed."""
    return envelope.expires is not None and (now or time.time()) >= envelope.expires


def expired_outcome(envelope: Envelope) -> Outcome:
    """The `REVOKED` outcome of a call that did not start before it expired."""
    moment = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(envelope.expires or 0))
    error = TaskError(
        exception_class_path=_REVOKED_ERROR,
        message=f"expired: the call was not started before {moment} UTC",
        traceback="",
    )
    return Outcome(REVOKED, error=error, status="expired", task=envelope.task, owner=envelope.owner)
