"""Where a call stands, whichever lane runs it: one lookup every handle read goes through.

A call's id is its handle's id. Its record may point at a later attempt (a retry, or the
Weft task a mover submitted for a deferred isolated call); the lookup follows the latest
such pointer. In order: the record (an ended call, either lane), the due queue (waiting
to be due), the pooled lane's queues (waiting or held by a pool process), Weft's own view
of the attempt's tid (the isolated lane), and the record once more, since a call can end
between the first look and the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from weft_compat._client import get_client
from weft_compat._outcome import SUBMITTED, Outcome, outcome_in, read_events, read_outcome
from weft_compat._progress import latest_state
from weft_compat._taskspec import TASK_METADATA

__all__ = ["Location", "current_attempt", "locate"]


@dataclass(frozen=True, slots=True)
class Location:
    """A call's raw status (None when nothing knows the id), name, outcome and lane."""

    status: str | None
    name: str | None = None
    outcome: Outcome | None = None
    lane: Literal["pooled", "isolated", "due"] | None = None
    # The latest custom state (`update_state`, or RETRY) and its meta, while the call runs.
    progress: tuple[str, Any] | None = None
    # The id of the call's current attempt: its own id, a retry's due message, a Weft tid.
    attempt: str | None = None
    retries: int = 0


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


def _task_name(metadata: Any, events: list[dict[str, Any]], weft_name: str | None) -> str | None:
    # Weft names a task it has only just been handed by its tid until it has read the
    # TaskSpec; the task name is in the spec's metadata, and on the link a mover wrote.
    if isinstance(metadata, dict) and isinstance(metadata.get(TASK_METADATA), str):
        return str(metadata[TASK_METADATA])
    for event in reversed(events):
        if event.get("event") == SUBMITTED and isinstance(event.get("task"), str):
            return str(event["task"])
    return weft_name


def locate(call_id: str) -> Location:
    """Find the call `call_id`."""
    events = read_events(call_id)
    retries = sum(1 for event in events if event.get("state") == "RETRY")
    outcome = outcome_in(events)
    if outcome is not None:
        return Location(outcome.raw_status, outcome.task, outcome, retries=retries)
    progress = latest_state(events)
    attempt = current_attempt(call_id, events)
    if not attempt.isdigit():
        # A Celery (UUID) id no lane has run: nothing but a record can know it.
        return Location(None)
    from weft_compat.due._queue import locate_due
    from weft_compat.pool._control import locate_pooled

    name = locate_due(int(attempt))
    if name is not None:
        from weft_compat.due._registry import ensure_mover

        ensure_mover()  # A call waits to be due: make sure something will submit it.
        return Location(
            "scheduled", name, lane="due", progress=progress, attempt=attempt, retries=retries
        )
    pooled = locate_pooled(int(attempt))
    if pooled is not None and pooled[0] != "queued":
        # A pool process keeps an ended call's message a little while (it deletes them
        # in batches): the call may have ended since the first look.
        ended = read_outcome(call_id)
        if ended is not None:
            return Location(ended.raw_status, ended.task, ended, retries=retries)
    if pooled is not None:
        return Location(
            pooled[0], pooled[1], lane="pooled", progress=progress, attempt=attempt, retries=retries
        )
    snapshot = get_client().task(attempt).snapshot()
    if snapshot is not None and snapshot.status != "unknown":
        return Location(
            snapshot.status,
            _task_name(snapshot.metadata, events, snapshot.name),
            lane="isolated",
            progress=progress,
            attempt=attempt,
            retries=retries,
        )
    outcome = read_outcome(call_id)
    if outcome is not None:
        return Location(outcome.raw_status, outcome.task, outcome, retries=retries)
    return Location(None)
