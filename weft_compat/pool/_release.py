"""What happens to a call whose pool process stopped holding it.

A pool process keeps the call it runs in its own running queue until the outcome is
stored, so a process that dies leaves the call behind. Releasing it either puts it
back at the front of its queue (delivery is at least once) or, for tasks that opted
out with Celery's `acks_late=False` / `reject_on_worker_lost=False`, ends it as a
`WorkerLostError` failure. A call lost `MAX_DELIVERIES` times fails the same way, so
one call that crashes its process cannot crash the pool for ever.
"""

from __future__ import annotations

import contextlib
import json
from typing import Final

from weft_compat._broker import get_broker, pending_queue, pool_bell, running_prefix
from weft_compat._doorbell import ring
from weft_compat._envelope import Envelope
from weft_compat._outcome import (
    REDELIVERED,
    Outcome,
    TaskError,
    extended,
    note,
    read_events,
    settled,
    write_outcome,
)
from weft_compat._states import FAILURE, READY_STATES
from weft_compat._tasklog import call_lost
from weft_compat.exceptions import WeftCompatError

__all__ = [
    "MAX_DELIVERIES",
    "end_call",
    "envelope_of",
    "expires_of",
    "owner_of",
    "pool_of",
    "record_of",
    "release",
    "task_of",
]

MAX_DELIVERIES: Final = 3
_LOST = "weft_compat.exceptions.WorkerLostError"


def pool_of(running: str) -> str:
    """The pool key of a running queue (`weft_compat.running.<key>.<master>.<slot>`)."""
    return running.removeprefix(running_prefix()).rsplit(".", 2)[0]


def record_of(body: str, message_id: int) -> str:
    """The id of the call a queued message belongs to: its own, or a retry's first id."""
    try:
        call_id = json.loads(body).get("weft_compat", {}).get("call_id")
    except (ValueError, AttributeError):
        call_id = None
    return str(call_id) if call_id else str(message_id)


def task_of(body: str) -> str | None:
    """The task name a queued message names, if it is a call envelope."""
    try:
        task = json.loads(body).get("weft_compat", {}).get("task")
    except (ValueError, AttributeError):
        return None
    return task if isinstance(task, str) else None


def owner_of(body: str) -> str | None:
    """The id of the user who enqueued a queued call, if its message says."""
    try:
        owner = json.loads(body).get("weft_compat", {}).get("owner")
    except (ValueError, AttributeError):
        return None
    return owner if isinstance(owner, str) else None


def envelope_of(body: str) -> Envelope | None:
    """The call envelope a queued message holds; None for a message that is none."""
    try:
        return Envelope.from_json(body)
    except (WeftCompatError, ValueError, TypeError):
        return None


def expires_of(body: str) -> float | None:
    """How long the record of a queued call is kept once it ends, if the message says."""
    try:
        seconds = json.loads(body).get("weft_compat", {}).get("result_expires")
    except (ValueError, AttributeError):
        return None
    return float(seconds) if type(seconds) in (int, float) else None


def end_call(
    running: str,
    call_id: int,
    outcome: Outcome,
    *,
    record: str | None = None,
    body: str | None = None,
) -> None:
    """Store `outcome` for a held call (unless it already has one) and drop the call.

    `record` is the call's id when the message's own id differs (a retry's attempt);
    `body`, the call's message, says how long its record is kept, and what
    `RESULT_EXTENDED` keeps of the call (its start went with its process).
    """
    record = record or str(call_id)
    events = read_events(record)
    if not any(event.get("state") in READY_STATES for event in events):
        # A message that is no envelope keeps the outcome alone (`release` drops it).
        with contextlib.suppress(WeftCompatError, ValueError, TypeError):
            if body is not None:
                outcome = extended(outcome, Envelope.from_json(body))
        write_outcome(record, outcome, expires=expires_of(body) if body else None)
    get_broker().delete_message_ids(running, [call_id])


def release(running: str, call_id: int, body: str, *, count_delivery: bool = True) -> str:
    """Redeliver or fail a call left in `running`; returns what was done."""
    broker = get_broker()
    try:
        envelope = Envelope.from_json(body)
    except (WeftCompatError, ValueError, TypeError):
        broker.delete_message_ids(running, [call_id])
        return "dropped"
    record = envelope.call_id or str(call_id)
    events = read_events(record)
    if settled(events, envelope.attempt):  # Ended, or handed on to a retry: only the ack is left.
        broker.delete_message_ids(running, [call_id])
        return "ended"
    deliveries = 1 + sum(
        1
        for event in events
        if event.get("event") == REDELIVERED and event.get("attempt", 1) == envelope.attempt
    )
    if not count_delivery:
        deliveries -= 1
    if envelope.redeliver and deliveries < MAX_DELIVERIES:
        # The call keeps its id, and so its place at the front of the queue it came from.
        key = pool_of(running)
        if broker.move_one(running, pending_queue(key), exact_timestamp=call_id) is None:
            return "gone"  # Another master (another host's) released it first.
        if count_delivery:
            note(record, REDELIVERED, delivery=deliveries, attempt=envelope.attempt)
            call_lost(envelope.task, record, "redelivered")
        ring(pool_bell(key))
        return "redelivered"
    reason = (
        "the task opted out of redelivery (acks_late=False or reject_on_worker_lost=False)"
        if not envelope.redeliver
        else f"it was lost {deliveries} times, the most a call is redelivered"
    )
    message = f"the pool process running call {call_id} died mid-run, and {reason}"
    error = TaskError(exception_class_path=_LOST, message=message, traceback="")
    outcome = Outcome(FAILURE, error=error, task=envelope.task)
    end_call(running, call_id, outcome, record=record, body=body)
    call_lost(envelope.task, record, f"failed with WorkerLostError, as {reason}")
    return "failed"
