"""What a workflow writes to the broker: its record, its joins' slots, its steps' starts.

- `weft_compat.workflow.<id>`: the plan (the first message), one marker per resolved
  join and one per step whose end the workflow has acted on, each under its own message
  id (so it is written once);
- `weft_compat.workflows.open`: one message per workflow not yet over, which movers'
  sweeps read (`_sweep`);
- `weft_compat.join.<id>.<j>`: the slots of join `j` filled so far (a result, or the
  id of the member that failed);
- a step starts as a retry does: its envelope goes to the due queue under a fresh id,
  and an event on the step's record points at it, in the same transaction as whatever
  caused the start (the previous step's outcome, a join's marker).

Every write of a transition goes through `insert`, one broker transaction.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from weft_compat import _serialization
from weft_compat._broker import (
    DUE_QUEUE,
    call_record,
    get_broker,
    join_prefix,
    join_queue,
    workflow_queue,
)
from weft_compat._envelope import Envelope
from weft_compat._errors import TaskError
from weft_compat._locate import WAITING
from weft_compat._outcome import Outcome
from weft_compat._states import REVOKED
from weft_compat.canvas._plan import Plan

__all__ = [
    "QUEUED",
    "WAITING",
    "Record",
    "cancel_record",
    "continued_record",
    "insert",
    "join_prefix",
    "join_queue",
    "load_plan",
    "start_records",
    "workflow_queue",
]

# A step's record event once it is queued (`attempt_id`: its due message); before, it
# holds `WAITING` (`_locate`).
QUEUED: Final = "queued"
_STOPPED: Final = "weft_compat.exceptions.WorkflowStopped"
_ATTEMPTS: Final = 5

# (queue, body, message id or None for a fresh one)
Record = tuple[str, str, int | None]


@lru_cache(maxsize=256)
def load_plan(workflow_id: str) -> Plan | None:
    """The plan of `workflow_id` (plans never change, so each process reads one once)."""
    body = get_broker().peek_one(workflow_queue(workflow_id), with_timestamps=False)
    return None if body is None else Plan.from_json(body)


def start_records(
    plan: Plan, index: int, value: str | None, now: float, *, first: bool = False
) -> list[Record]:
    """The writes that start step `index`, with `value` (JSON text) as its first argument
    unless the step is immutable or `value` is None.

    A `first` step (started with the workflow) is queued under its own id, as any
    deferred call is; a later one under a fresh id, which an event on its record names.
    """
    step = plan.steps[index]
    envelope = Envelope.from_json(step.envelope)
    call = envelope.call
    if value is not None and not step.immutable:
        own = _serialization.decode(call)
        args = [_serialization.decode(value), *own["args"]]
        call = _serialization.encode_call(step.task, args, own["kwargs"])
    started = dataclasses.replace(
        envelope,
        call=call,
        call_id=step.id,
        eta=now + step.countdown if step.countdown else now,
        workflow={"id": plan.id, "step": index},
    )
    if first:
        return [(DUE_QUEUE, started.to_json(), int(step.id))]
    due_id = get_broker().generate_timestamp()
    event = json.dumps({"event": QUEUED, "attempt_id": str(due_id), "workflow": plan.id})
    return [(DUE_QUEUE, started.to_json(), due_id), (call_record(step.id), event, None)]


def cancel_record(plan: Plan, index: int, why: str) -> Record:
    """The outcome of step `index`, which will never run: `REVOKED`, saying `why`."""
    step = plan.steps[index]
    error = TaskError(exception_class_path=_STOPPED, message=why, traceback="")
    outcome = Outcome(
        REVOKED, error=error, status="cancelled", task=step.task, date_done=time.time()
    )
    return (call_record(step.id), outcome.to_json(), None)


def continued_record(plan: Plan, index: int) -> Record:
    """The mark that the end of step `index` was acted on (its successors started or
    stopped): under the step's marker id, so it is written once."""
    body = json.dumps({"continued": index})
    return (workflow_queue(plan.id), body, plan.steps[index].marker)


def insert(records: Sequence[Record], *, marker: tuple[str, int] | None = None) -> bool:
    """Write `records` in one transaction; False if `marker` (queue, id) was taken first.

    Records without an id get fresh ones; a clash on one of those draws new ones.
    """
    broker = get_broker()
    for attempt in range(_ATTEMPTS):
        rows = [
            (queue, body, message_id if message_id is not None else broker.generate_timestamp())
            for queue, body, message_id in records
        ]
        try:
            broker.insert_messages(rows)
        except sqlite3.IntegrityError:
            if marker is not None and _holds(*marker):
                return False
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return True
    raise AssertionError("unreachable")


def _holds(queue: str, message_id: int) -> bool:
    found = get_broker().peek_one(queue, exact_timestamp=message_id, with_timestamps=False)
    return found is not None


def marker_body(join: int, value: str | None, failed: str | None) -> str:
    """A resolved join's marker: its value (JSON text) or the member that failed."""
    body: dict[str, Any] = {"join": join, "value": value, "failed": failed}
    return json.dumps(body)
