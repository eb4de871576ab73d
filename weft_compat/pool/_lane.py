"""The pooled lane behind the lane interface: calls queued for a pool's processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from weft_compat._lane import Lane, Location, Seen
from weft_compat._outcome import read_outcome
from weft_compat.pool._control import locate_pooled, revoke_pooled
from weft_compat.pool._release import envelope_of, task_of
from weft_compat.pool._submit import submit_pooled

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["PooledLane"]


class PooledLane(Lane):
    """A call waits in its queue's pending queue, then in a pool process's running queue."""

    name = "pooled"

    def submit(self, prepared: PreparedCall) -> str:
        """Queue the call for its pool (starting one if none is live)."""
        return submit_pooled(prepared)

    def locate(self, seen: Seen) -> Location | None:
        """The call waiting (`queued`) or held by a pool process (`reserved`, `running`)."""
        found = locate_pooled(int(seen.attempt))
        if found is None:
            return None
        status, _, body = found
        if status != "queued":
            # A pool process keeps an ended call's message a little while (it deletes
            # them in batches): the call may have ended since the record was read.
            ended = read_outcome(seen.call_id)
            if ended is not None:
                return Location(
                    ended.raw_status, ended.task, ended, retries=seen.retries, owner=ended.owner
                )
        return seen.at("pooled", status, task_of(body), envelope=envelope_of(body))

    def revoke(self, location: Location, record: str, signal_name: Literal["TERM", "KILL"]) -> bool:
        """Cancel the waiting call, or ask the master holding it to stop it."""
        return revoke_pooled(int(location.attempt or record), signal_name, record=record)
