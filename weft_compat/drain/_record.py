"""Recording a drained call in Weft's broker, once, under its Celery task id.

A drained call's record (the call record of its Celery id, `_outcome`) is what makes
it readable by that id and what makes draining idempotent: the call's message and the
record's `drained` event pointing at it are written in one transaction (with the rest
of the batch the drain took, so a batch costs one durable commit), so either both
exist or neither, and a message whose record already has an event was drained before
(the drain was lost between recording and acknowledging, or the broker redelivered)
and is only acknowledged again.

Where the message goes is the submit path's decision (`resolve_lane`): a pooled call
due now waits in its queue's pending queue, as `enqueue` leaves it; a deferred call, or
an isolated one, waits in the due queue, whose mover submits it (an isolated call
through the mover's claim, so it too is submitted once). The envelope's `call_id` is
the Celery id, so the worker stores the outcome on that record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal

from weft_compat._broker import (
    DUE_QUEUE,
    MOVER_BELL,
    call_record,
    get_broker,
    pending_queue,
    pool_bell,
    pool_key,
)
from weft_compat._config import current_settings
from weft_compat._doorbell import ring
from weft_compat._outcome import read_events, write_outcome
from weft_compat._revoked import announce_revoked
from weft_compat.due._queue import expired_outcome
from weft_compat.due._registry import ensure_mover
from weft_compat.pool._registry import ensure_pool

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["DRAINED", "drained_before", "record_calls", "record_expired"]

Action = Literal["queued", "deferred"]

# The record event of a drained call: `attempt_id` is its message in the pending or due
# queue (so handles follow it there), `queue` the Celery queue it came from.
DRAINED: Final = "drained"
_INSERT_ATTEMPTS: Final = 8
_BACKOFF_SECONDS: Final = 0.01


def drained_before(task_id: str) -> bool:
    """Whether the call of the Celery id `task_id` was recorded already."""
    return bool(read_events(task_id))


def record_calls(calls: Sequence[tuple[PreparedCall, str, str]]) -> list[Action]:
    """Queue each drained call (its prepared call, Celery id and Celery queue) and link
    its record to it, all in one transaction; returns where each waits (`queued` or
    `deferred`). The Celery ids must be distinct."""
    started: set[tuple[str, str]] = set()
    placed: list[tuple[str, str]] = []
    for prepared, _task_id, _queue in calls:
        placed.append(_place(prepared, started))
    broker = get_broker()
    bodies = [prepared.envelope.to_json() for prepared, _task_id, _queue in calls]
    for attempt in range(_INSERT_ATTEMPTS):
        try:
            # One id drawn from the broker and the floor raised at once above the rest
            # of the batch's: ids at or below it are all taken, and one drawn elsewhere in
            # between (a host whose clock lags) makes the insert fail, to draw again.
            # Drawing itself gives up when other writers keep winning the race.
            base = broker.generate_timestamp()
            broker.advance_last_timestamp(base + 2 * len(calls))
            broker.insert_messages(_records(calls, placed, bodies, base))
        except sqlite3.IntegrityError:  # SimpleBroker's own IntegrityError derives from it
            if attempt == _INSERT_ATTEMPTS - 1:
                raise
            time.sleep(_BACKOFF_SECONDS * (attempt + 1))
            continue
        for bell in dict.fromkeys(bell for _queue, bell in placed):
            ring(bell)
        return [
            "deferred" if prepared.envelope.eta is not None else "queued"
            for prepared, _task_id, _queue in calls
        ]
    raise AssertionError("unreachable")


def _records(
    calls: Sequence[tuple[PreparedCall, str, str]],
    placed: list[tuple[str, str]],
    bodies: list[str],
    base: int,
) -> list[tuple[str, str, int]]:
    # Each call's message (`bodies`) and its record's `drained` event, with ids from
    # `base` up.
    records: list[tuple[str, str, int]] = []
    for index, ((prepared, task_id, celery_queue), (queue, _bell), body) in enumerate(
        zip(calls, placed, bodies, strict=True)
    ):
        message_id, event_id = base + 2 * index, base + 2 * index + 1
        event = {
            "event": DRAINED,
            "attempt_id": str(message_id),
            "task": prepared.envelope.task,
            "queue": celery_queue,
        }
        records.append((queue, body, message_id))
        records.append((call_record(task_id), json.dumps(event), event_id))
    return records


def _place(prepared: PreparedCall, started: set[tuple[str, str]]) -> tuple[str, str]:
    # Where the call waits and the bell that wakes its reader, the reader made sure to
    # run (once per queue and task in a batch: each task says what its worker imports).
    envelope = prepared.envelope
    need = prepared.task.worker_config
    deferred = envelope.eta is not None or envelope.lane != "pooled"
    key = pool_key(envelope.queue or current_settings().DEFAULT_QUEUE, envelope.settings_module)
    if (key, envelope.task) not in started:
        started.add((key, envelope.task))
        if deferred:
            ensure_mover(need=need)
        if envelope.lane == "pooled":
            ensure_pool(
                key, prepared.queue.concurrency, prepared.queue.prefetch_multiplier, need=need
            )
    if deferred:
        return DUE_QUEUE, MOVER_BELL
    return pending_queue(key), pool_bell(key)


def record_expired(prepared: PreparedCall, task_id: str) -> None:
    """End the call of a message that expired before it was drained: `REVOKED`, with
    `task_revoked(expired=True)` sent here, as Celery's worker discards such a message."""
    envelope = prepared.envelope
    write_outcome(task_id, expired_outcome(envelope), expires=envelope.result_expires)
    announce_revoked(envelope.task, task_id, envelope, expired=True)
