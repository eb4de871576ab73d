"""Call records: each call's durable event log, readable any number of times anywhere.

Weft hands a task's return value to the first reader only; Celery's result backend
lets every view read it again. So each call has a record (a broker queue named after
its id) that the worker appends to: the outcome (value or error, and when it ended)
when the call ends, and notes such as a redelivery. The outcome keeps the id of the user
who enqueued the call (`owner`), and with `RESULT_EXTENDED` (Celery's `result_extended`)
the call's encoded arguments, queue, lane, host and start time too (`extended`). Handles
peek the record without consuming it. Both lanes write the same record, so a handle reads
a call the same way whichever lane ran it.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from dataclasses import dataclass
from typing import Any, Final

from weft_compat._broker import call_record, get_broker
from weft_compat._config import current_settings
from weft_compat._envelope import Envelope
from weft_compat._errors import TaskError
from weft_compat._expiry import note_ended
from weft_compat._states import FAILURE, READY_STATES, RETRY, REVOKED, SUCCESS

__all__ = [
    "OWNED",
    "REDELIVERED",
    "SUBMITTED",
    "Outcome",
    "TaskError",
    "extended",
    "forget_record",
    "note",
    "read_events",
    "read_outcome",
    "refused_outcome",
    "revoked",
    "settled",
    "write_outcome",
]

# An event that is not a state: the call's worker was lost and the call went back.
REDELIVERED: Final = "redelivered"
# An event naming the user who enqueued an isolated call (`owner`), which Weft shows in
# the task's metadata only once the task has started.
OWNED: Final = "owned"
# An event linking a deferred isolated call to the Weft task that runs it (`attempt_id`)
# and the due message it came from (`due`).
SUBMITTED: Final = "submitted"

_RAW_STATUS: Final = {SUCCESS: "completed", FAILURE: "failed", REVOKED: "cancelled"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished call.

    `state` is SUCCESS, FAILURE or REVOKED; `value` is Celery-compatible JSON text;
    `status` is the raw Weft-style status (`completed`, `failed`, `timeout`,
    `cancelled`, `killed`). `date_done` is when it ended (Unix seconds); `owner` the
    id of the user who enqueued the call, if one was recorded; the rest is stored only
    with `RESULT_EXTENDED`: `call`, the call's arguments as the envelope
    encoded them (`{"args": [...], "kwargs": {...}}`), and where and when it ran.
    """

    state: str
    value: str | None = None
    error: TaskError | None = None
    status: str | None = None
    task: str | None = None
    date_done: float | None = None
    date_started: float | None = None
    call: str | None = None
    queue: str | None = None
    lane: str | None = None
    worker: str | None = None
    owner: str | None = None

    @property
    def raw_status(self) -> str:
        """The Weft-style status this outcome reports."""
        return self.status or _RAW_STATUS.get(self.state, "failed")

    def to_json(self) -> str:
        """Serialise for the call record."""
        body: dict[str, Any] = {"state": self.state, "value": self.value}
        if self.error is not None:
            body["error"] = self.error.to_record()
        if self.status is not None:
            body["status"] = self.status
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return json.dumps(body)

    @classmethod
    def from_event(cls, body: dict[str, Any]) -> Outcome:
        """Rebuild an outcome from its record event."""
        error = body.get("error")
        return cls(
            state=body["state"],
            value=body.get("value"),
            error=TaskError.from_record(error) if error else None,
            **{name: body.get(name) for name in _OPTIONAL},
        )

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        """Parse a stored outcome."""
        return cls.from_event(json.loads(text))


# The fields a record holds only when they are set.
_OPTIONAL: Final = (
    "status",
    "task",
    "date_done",
    "date_started",
    "call",
    "queue",
    "lane",
    "worker",
    "owner",
)


def extended(outcome: Outcome, envelope: Envelope, *, started: float | None = None) -> Outcome:
    """`outcome` with the call's owner, and with its arguments, queue, lane, this host
    and `started` (Unix seconds) when `RESULT_EXTENDED` is on where the call was enqueued
    (an isolated call's worker reads the environment of Weft's manager, not the settings
    of the caller) or in this worker."""
    if envelope.owner is not None and outcome.owner is None:
        outcome = dataclasses.replace(outcome, owner=envelope.owner)
    if not (envelope.result_extended or current_settings().RESULT_EXTENDED):
        return outcome
    return dataclasses.replace(
        outcome,
        date_started=started,
        call=envelope.call,
        queue=envelope.queue,
        lane=envelope.lane,
        worker=socket.gethostname(),
    )


def revoked(task: str | None, signal_name: str, *, owner: str | None = None) -> Outcome:
    """The outcome of a call (of the user `owner`) stopped (`TERM`) or killed (`KILL`) on
    request."""
    status = "killed" if signal_name == "KILL" else "cancelled"
    return Outcome(REVOKED, status=status, task=task, owner=owner)


def refused_outcome(
    task: str, wanted: str | None, served: str | None, *, owner: str | None = None
) -> Outcome:
    """The `FAILURE` of a call of `task` (by the user `owner`) queued for the Django
    settings `wanted`, which a worker of the settings `served` (None: no Django project)
    refuses."""
    error = TaskError(
        exception_class_path="weft_compat.exceptions.CallRefused",
        message=(
            f"the call of {task!r} names the Django settings module {wanted!r}, which this "
            f"deployment's workers do not load (they load {served!r}); enqueue it from a "
            "process of that project"
        ),
        traceback="",
    )
    return Outcome(FAILURE, error=error, task=task, owner=owner)


def write_outcome(
    call_id: str, outcome: Outcome, *, expires: float | None = None, batched: bool = False
) -> None:
    """Append the outcome of `call_id` to its record (once, by whoever ended the call),
    with the moment it ended unless it has one.

    The record expires `expires` seconds later (default: the `RESULT_EXPIRES` setting;
    0: never); `batched` lets a pool process index ended calls a batch at a time.
    """
    if outcome.date_done is None:
        outcome = dataclasses.replace(outcome, date_done=time.time())
    get_broker().write(call_record(call_id), outcome.to_json())
    seconds = current_settings().RESULT_EXPIRES if expires is None else expires
    note_ended(call_id, seconds, batched=batched)


def note(call_id: str, event: str, **fields: Any) -> None:
    """Append a non-state event (such as a redelivery) to the record of `call_id`."""
    get_broker().write(call_record(call_id), json.dumps({"event": event, **fields}))


def read_events(call_id: str) -> list[dict[str, Any]]:
    """Every event in the record of `call_id`, oldest first."""
    messages = get_broker().peek_many(call_record(call_id), 1000, with_timestamps=False)
    return [json.loads(message) for message in messages]


def outcome_in(events: list[dict[str, Any]]) -> Outcome | None:
    """The outcome among `events` (the first terminal one: a call ends once)."""
    for event in events:
        if event.get("state") in READY_STATES:
            return Outcome.from_event(event)
    return None


def settled(events: list[dict[str, Any]], attempt: int) -> bool:
    """Whether attempt `attempt` of a call is over: the call ended, or it asked for a retry.

    Running such an attempt again (a redelivered pooled call) would repeat what it did.
    """
    return outcome_in(events) is not None or any(
        event.get("state") == RETRY and int(event.get("retries", 0)) >= attempt for event in events
    )


def read_outcome(call_id: str) -> Outcome | None:
    """The outcome of `call_id`, or None while it has none."""
    return outcome_in(read_events(call_id))


def forget_record(call_id: str) -> None:
    """Delete the record of `call_id` (Celery's `AsyncResult.forget`)."""
    get_broker().delete(call_record(call_id))
