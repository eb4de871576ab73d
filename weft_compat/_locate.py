"""Where a call stands, whichever lane runs it: one lookup every handle read goes through.

A call's id is its handle's id. Its record may point at a later attempt (a retry, or the
Weft task a mover submitted for a deferred isolated call); the lookup follows the latest
such pointer. In order: the record (an ended call, any lane), then each lane (`_lanes`:
waiting to be due, in a pool's queues, Weft's own view of an isolated call), and the
record once more, since a call can end between the first look and the last.
"""

from __future__ import annotations

from typing import Any

from weft_compat._lane import Location, Seen
from weft_compat._lanes import LANES
from weft_compat._outcome import SUBMITTED, outcome_in, read_events, read_outcome
from weft_compat._progress import latest_state

# The record event of a workflow step waiting for the steps before it (`canvas`).
WAITING = "waiting"

__all__ = ["Location", "current_attempt", "locate"]


def current_attempt(call_id: str, events: list[dict[str, Any]]) -> str:
    """The id of the latest attempt the record of `call_id` points at (else the call's own).

    A retry points at its due message; a Weft task submitted for a due message points at
    itself only while that message is still the latest, so a late link to an earlier
    attempt never hides a retry scheduled since.
    """
    current = due = call_id
    for event in events:
        if "attempt_id" not in event:
            continue
        if event.get("event") == SUBMITTED:
            if str(event.get("due")) == due:
                current = str(event["attempt_id"])
        else:
            current = due = str(event["attempt_id"])
    return current


def locate(call_id: str) -> Location:
    """Find the call `call_id`."""
    events = read_events(call_id)
    retries = sum(1 for event in events if event.get("state") == "RETRY")
    outcome = outcome_in(events)
    if outcome is not None:
        return Location(
            outcome.raw_status, outcome.task, outcome, retries=retries, owner=outcome.owner
        )
    attempt = current_attempt(call_id, events)
    if not attempt.isdigit():
        # A Celery (UUID) id no lane has run: nothing but a record can know it.
        return Location(None)
    seen = Seen(call_id, attempt, events, latest_state(events), retries)
    for each in LANES:
        found = each.locate(seen)
        if found is not None:
            return found
    outcome = read_outcome(call_id)
    if outcome is not None:
        return Location(
            outcome.raw_status, outcome.task, outcome, retries=retries, owner=outcome.owner
        )
    for event in events:
        if event.get("event") == WAITING:
            # A workflow step whose turn has not come: its handle is PENDING, not unknown.
            return Location("created", event.get("task"), retries=retries)
    return Location(None)
