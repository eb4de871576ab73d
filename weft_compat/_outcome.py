"""Durable call outcomes, readable any number of times from any process.

Weft hands a task's return value to the first reader only; Celery's result backend
lets every view read it again. So the worker also stores each call's outcome
(value or error) as one message in a per-call broker queue, which handles peek
without consuming.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from weft.client import WeftClient

__all__ = ["Outcome", "TaskError", "outcome_queue", "read_outcome", "write_outcome"]

_QUEUE_PREFIX: Final = "weft_compat.outcome."


@dataclass(frozen=True, slots=True)
class TaskError:
    """One failure of a call: the exception's import path, its message and traceback text."""

    exception_class_path: str
    message: str
    traceback: str

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form for views."""
        return {
            "exception_class_path": self.exception_class_path,
            "message": self.message,
            "traceback": self.traceback,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """A finished call: `state` is SUCCESS or FAILURE; `value` is Celery-compatible JSON text."""

    state: str
    value: str | None = None
    error: TaskError | None = None

    def to_json(self) -> str:
        """Serialise for the outcome queue."""
        body: dict[str, Any] = {"state": self.state, "value": self.value}
        if self.error is not None:
            body["error"] = self.error.as_dict()
        return json.dumps(body)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        """Parse a stored outcome."""
        body = json.loads(text)
        error = body.get("error")
        return cls(
            state=body["state"],
            value=body.get("value"),
            error=TaskError(**error) if error else None,
        )


def outcome_queue(tid: str) -> str:
    """The broker queue that holds the outcome of call `tid`."""
    return f"{_QUEUE_PREFIX}{tid}"


def write_outcome(client: WeftClient, tid: str, outcome: Outcome) -> None:
    """Store `outcome` for `tid` (called once, by the worker that ran the call)."""
    client.queues.write(outcome_queue(tid), outcome.to_json())


def read_outcome(client: WeftClient, tid: str) -> Outcome | None:
    """The stored outcome of `tid`, or None while there is none."""
    entries = client.queues.peek(outcome_queue(tid))
    if not entries:
        return None
    return Outcome.from_json(entries[-1].message)


def forget_outcome(client: WeftClient, tid: str) -> None:
    """Delete the stored outcome of `tid` (Celery's `AsyncResult.forget`)."""
    client.queues.delete(outcome_queue(tid))
