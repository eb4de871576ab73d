"""The interface every lane answers: submit a prepared call, locate a call, revoke one.

A call runs in one lane: pooled (a pool process claims it from its queue), isolated (its
own Weft task), or due (deferred: it waits in the broker until a mover submits it to
one of the others). The submit path, the handle and revoke work through this interface
only (`_lanes` lists the lanes), so none of them reaches into a lane's modules, and a
lane never imports the handle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from weft_compat._envelope import Envelope
from weft_compat._outcome import Outcome

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["ENDED", "Lane", "LaneName", "Location", "Seen"]

LaneName = Literal["pooled", "isolated", "due"]
# Raw statuses of an attempt that has ended: nothing is left to stop.
ENDED: Final = frozenset({"completed", "failed", "timeout", "cancelled", "killed"})


@dataclass(frozen=True, slots=True)
class Location:
    """A call's raw status (None when nothing knows the id), name, outcome and lane."""

    status: str | None
    name: str | None = None
    outcome: Outcome | None = None
    lane: LaneName | None = None
    # The latest custom state (`update_state`, or RETRY) and its meta, while the call runs.
    progress: tuple[str, Any] | None = None
    # The id of the call's current attempt: its own id, a retry's due message, a Weft tid.
    attempt: str | None = None
    retries: int = 0
    # The id of the user who enqueued the call, as its envelope or outcome records it.
    owner: str | None = None
    # The call's envelope where the lane holds it (waiting to be due, in a pool's queues).
    envelope: Envelope | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """What a call's record says, which every lane's `locate` reports along."""

    call_id: str
    attempt: str
    events: list[dict[str, Any]]
    progress: tuple[str, Any] | None
    retries: int

    def at(
        self,
        lane: LaneName,
        status: str,
        name: str | None,
        *,
        owner: str | None = None,
        envelope: Envelope | None = None,
    ) -> Location:
        """The location of the call found in `lane` with `status` (and the owner and
        envelope the lane holds it with)."""
        if owner is None and envelope is not None:
            owner = envelope.owner
        return Location(
            status,
            name,
            lane=lane,
            progress=self.progress,
            attempt=self.attempt,
            retries=self.retries,
            owner=owner,
            envelope=envelope,
        )


class Lane(ABC):
    """One way a call runs."""

    name: ClassVar[LaneName]

    @abstractmethod
    def submit(self, prepared: PreparedCall) -> str:
        """Queue or submit the prepared call; returns its id (a handle's `tid`)."""

    @abstractmethod
    def locate(self, seen: Seen) -> Location | None:
        """Where the call's current attempt stands in this lane; None if not here."""

    @abstractmethod
    def revoke(self, location: Location, record: str, signal_name: Literal["TERM", "KILL"]) -> bool:
        """Stop the call `record` found at `location`; False when it had left this lane."""
