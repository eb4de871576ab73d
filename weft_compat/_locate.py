"""Where a call stands, whichever lane runs it: one lookup every handle read goes through.

In order: the call's record (an ended call, either lane), the pooled lane's queues
(waiting or held by a pool process), Weft's own view of the tid (the isolated lane),
and the record once more, since a call can end between the first look and the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from weft_compat._client import get_client
from weft_compat._outcome import Outcome, outcome_in, read_events, read_outcome
from weft_compat._progress import latest_state

__all__ = ["Location", "locate"]


@dataclass(frozen=True, slots=True)
class Location:
    """A call's raw status (None when nothing knows the id), name, outcome and lane."""

    status: str | None
    name: str | None = None
    outcome: Outcome | None = None
    lane: Literal["pooled", "isolated"] | None = None
    # The latest custom state (`update_state`) and its meta, while the call runs.
    progress: tuple[str, Any] | None = None


def locate(call_id: str) -> Location:
    """Find the call `call_id`."""
    events = read_events(call_id)
    outcome = outcome_in(events)
    if outcome is not None:
        return Location(outcome.raw_status, outcome.task, outcome)
    progress = latest_state(events)
    from weft_compat.pool._control import locate_pooled

    pooled = locate_pooled(int(call_id))
    if pooled is not None:
        return Location(pooled[0], pooled[1], lane="pooled", progress=progress)
    snapshot = get_client().task(call_id).snapshot()
    if snapshot is not None and snapshot.status != "unknown":
        return Location(snapshot.status, snapshot.name, lane="isolated", progress=progress)
    outcome = read_outcome(call_id)
    if outcome is not None:
        return Location(outcome.raw_status, outcome.task, outcome)
    return Location(None)
