"""What happens to a call whose pool process stopped holding it.

A pool process keeps the call it runs in its own running queue until the outcome is
stored, so a process that dies leaves the call behind. Releasing it either puts it
back at the front of its queue (delivery is at least once) or, for tasks that opted
out with Celery's `acks_late=False` / `reject_on_worker_lost=False`, ends it as a
`WorkerLostError` failure. A call lost `MAX_DELIVERIES` times fails the same way, so
one call that crashes its process cannot crash the pool for ever.
"""

from __future__ import annotations

from typing import Final

from weft_compat._broker import get_broker, pending_queue, pool_key
from weft_compat._envelope import Envelope
from weft_compat._outcome import REDELIVERED, Outcome, TaskError, note, read_events, write_outcome
from weft_compat._states import FAILURE, READY_STATES, REVOKED
from weft_compat.exceptions import WeftCompatError

__all__ = ["MAX_DELIVERIES", "end_call", "release"]

MAX_DELIVERIES: Final = 3
_LOST = "weft_compat.exceptions.WorkerLostError"


def end_call(
    running: str,
    call_id: int,
    outcome: Outcome,
) -> None:
    """Store `outcome` for a held call (unless it already has one) and drop the call."""
    events = read_events(str(call_id))
    if not any(event.get("state") in READY_STATES for event in events):
        write_outcome(str(call_id), outcome)
    get_broker().delete_message_ids(running, [call_id])


def release(running: str, call_id: int, body: str, *, count_delivery: bool = True) -> str:
    """Redeliver or fail a call left in `running`; returns what was done."""
    broker = get_broker()
    try:
        envelope = Envelope.from_json(body)
    except (WeftCompatError, ValueError, TypeError):
        broker.delete_message_ids(running, [call_id])
        return "dropped"
    events = read_events(str(call_id))
    if any(event.get("state") in READY_STATES for event in events):
        broker.delete_message_ids(running, [call_id])
        return "ended"
    deliveries = 1 + sum(1 for event in events if event.get("event") == REDELIVERED)
    if not count_delivery:
        deliveries -= 1
    if envelope.redeliver and deliveries < MAX_DELIVERIES:
        if count_delivery:
            note(str(call_id), REDELIVERED, delivery=deliveries)
        # The call keeps its id, and so its place at the front of the queue.
        key = pool_key(envelope.queue or "", envelope.settings_module)
        broker.move_one(running, pending_queue(key), exact_timestamp=call_id)
        return "redelivered"
    reason = (
        "the task opted out of redelivery (acks_late=False or reject_on_worker_lost=False)"
        if not envelope.redeliver
        else f"it was lost {deliveries} times, the most a call is redelivered"
    )
    message = f"the pool process running call {call_id} died mid-run, and {reason}"
    error = TaskError(exception_class_path=_LOST, message=message, traceback="")
    end_call(running, call_id, Outcome(FAILURE, error=error, task=envelope.task))
    return "failed"


def revoked(task: str | None, signal_name: str) -> Outcome:
    """The outcome of a call stopped (`TERM`) or killed (`KILL`) on request."""
    status = "killed" if signal_name == "KILL" else "cancelled"
    return Outcome(REVOKED, status=status, task=task)
