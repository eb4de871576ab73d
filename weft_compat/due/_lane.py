"""The due lane behind the lane interface: deferred calls waiting for their moment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from weft_compat._lane import Lane, Location, Seen
from weft_compat.due._queue import defer, locate_due, revoke_due
from weft_compat.due._registry import ensure_mover

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["DueLane"]


class DueLane(Lane):
    """A call waits in the due queue (or a mover's claim) until a mover submits it."""

    name = "due"

    def submit(self, prepared: PreparedCall) -> str:
        """Hold the call until its `eta`."""
        return defer(prepared.envelope, prepared.task.worker_config)

    def locate(self, seen: Seen) -> Location | None:
        """The call waiting to be due (`scheduled`); a mover is made sure to run."""
        envelope = locate_due(int(seen.attempt))
        if envelope is None:
            return None
        ensure_mover()  # A call waits to be due: make sure something will submit it.
        return seen.at("due", "scheduled", envelope.task, envelope=envelope)

    def revoke(self, location: Location, record: str, signal_name: Literal["TERM", "KILL"]) -> bool:
        """Cancel the call where it waits; False if a mover has just moved it on."""
        return revoke_due(int(location.attempt or record), record)
