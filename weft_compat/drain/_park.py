"""The parking queue: messages a drain must not run, kept intact on the Celery broker.

A parked message is the original body, content type, encoding, headers and properties,
published to the parking queue (`weft_compat.parked` by default) with one header more,
`x-weft-compat-parked`: why it was parked, the queue it came from and when. Only then is
the original acknowledged. `requeue_parked` publishes each back to the queue it came
from without that header (exactly as it was), after a fix: a task module imported, or a
Celery worker started for the calls only Celery can run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from weft_compat.drain._source import CeleryBroker, RawMessage

__all__ = ["DEFAULT_PARKING_QUEUE", "PARKED_HEADER", "Parked", "park", "requeue_parked"]

DEFAULT_PARKING_QUEUE: Final = "weft_compat.parked"
PARKED_HEADER: Final = "x-weft-compat-parked"


@dataclass(frozen=True, slots=True)
class Parked:
    """A message in (or put in) the parking queue."""

    task_id: str | None
    task: str | None
    queue: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for reports."""
        return {"id": self.task_id, "task": self.task, "queue": self.queue, "reason": self.reason}


def park(broker: CeleryBroker, message: RawMessage, parked: Parked, parking_queue: str) -> None:
    """Copy `message` to the parking queue with the reason, then acknowledge it."""
    headers = dict(message.headers or {})
    headers[PARKED_HEADER] = {
        "reason": parked.reason,
        "queue": parked.queue,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    broker.publish(message, parking_queue, headers, declare=True)
    message.ack()


def requeue_parked(
    broker: CeleryBroker,
    parking_queue: str,
    *,
    dry_run: bool = False,
    seen: Callable[[Parked], None] = lambda _parked: None,
) -> list[Parked]:
    """Put every parked message back in the queue it came from (with `dry_run`, only
    list them); returns them, and tells `seen` of each as it goes."""
    found: list[Parked] = []
    held: list[RawMessage] = []
    checked: set[str] = set()
    taking = iter(lambda: broker.get(parking_queue), None)
    try:
        for message in broker.browse(parking_queue) if dry_run else taking:
            headers = dict(message.headers or {})
            note = headers.pop(PARKED_HEADER, None)
            note = note if isinstance(note, dict) else {}
            parked = Parked(
                task_id=_text(headers.get("id")),
                task=_text(headers.get("task")),
                queue=_text(note.get("queue")) or "celery",
                reason=_text(note.get("reason")) or "unknown",
            )
            found.append(parked)
            seen(parked)
            if dry_run:
                held.append(message)  # Given back below (on RabbitMQ), after all were seen.
                continue
            if parked.queue not in checked:
                # RabbitMQ drops what is published to a queue that does not exist.
                broker.check_queue(parked.queue)
                checked.add(parked.queue)
            broker.publish(message, parked.queue, headers)
            message.ack()
    finally:
        for message in held:
            message.requeue()
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
