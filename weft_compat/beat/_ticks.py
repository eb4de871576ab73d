"""Tick claims: each (entry, due moment) becomes exactly one call, whoever asks first.

A tick is claimed by writing, in one broker transaction, a claim message into the
entry's ticks queue and the tick's call into the due queue (a mover submits it at once,
in the entry's lane). The claim's message id is computed from the entry's name and the
due moment, and the broker refuses a second message with an id it holds, so of any
number of schedulers claiming the same tick exactly one succeeds, and the others find
its claim. No lock, lease or process-local timer decides it.

The id lies within the due moment's millisecond, in the top quarter of the counter bits
that the broker's own ids use only when thousands of messages are written within four
microseconds, so it cannot meet an id the broker hands out; two entries due in the same
millisecond that land on the same id are told apart by the claim's body, and the later
one takes the next id along (every scheduler probes in the same order). Claims are kept
for an hour and at least the latest few per entry, which is what tells a scheduler that
read an old state that the tick it is about to claim is taken.

The scheduler that claims a tick publishes its call, so it sends the publish signals
around the claim, as `celery beat` does as it sends a periodic call: `before_task_publish`
just before (unless the tick is claimed already), `after_task_publish` once the claim is
won. A scheduler that loses the race for a tick claimed at the same moment has sent
`before_task_publish` and sends no `after_task_publish`, as a Celery publish that fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Final

from weft_compat._broker import DUE_QUEUE, MOVER_BELL, get_broker
from weft_compat._doorbell import ring
from weft_compat._envelope import Envelope
from weft_compat._publish import before_publish, observed
from weft_compat.beat._published import PublishedEntry, ticks_prefix, ticks_queue

__all__ = ["Claim", "claim_tick", "latest_claims", "prune_claims"]

_GRAIN_NS: Final = 4096  # The broker's ids keep 12 counter bits below the clock.
_GRAINS_PER_CELL_SPACE: Final = 200  # 200 grains: 0.82 ms, within the millisecond.
_COUNTERS: Final = 1024  # The top quarter of the counter bits.
_CELLS: Final = _GRAINS_PER_CELL_SPACE * _COUNTERS
_PROBES: Final = 64
_KEEP_SECONDS: Final = 3600.0
_KEEP_LATEST: Final = 10
_INSERT_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed tick: the entry, its due moment, the call's id, when it was claimed."""

    entry: str
    due: float
    call_id: str
    claimed_at: float
    message_id: int = 0

    def to_json(self) -> str:
        """The claim message's body."""
        return json.dumps(
            {"entry": self.entry, "due": self.due, "call": self.call_id, "at": self.claimed_at}
        )

    @classmethod
    def from_json(cls, text: str, message_id: int) -> Claim:
        """The claim a message holds."""
        data = json.loads(text)
        return cls(data["entry"], float(data["due"]), str(data["call"]), data["at"], message_id)


def _claim_id(name: str, due: float, probe: int) -> int:
    cell = (int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") + probe) % _CELLS
    millisecond = round(due * 1000) * 1_000_000
    grain, counter = divmod(cell, _COUNTERS)
    return millisecond + grain * _GRAIN_NS + (_GRAIN_NS - _COUNTERS) + counter


def latest_claims(name: str, limit: int = 1) -> list[Claim]:
    """The entry's latest claims, newest first."""
    found = get_broker().peek_many(ticks_queue(name), limit, with_timestamps=True, order="newest")
    return [Claim.from_json(body, message_id) for body, message_id in found]


def claim_tick(entry: PublishedEntry, due: float, *, ring_movers: bool = True) -> Claim | None:
    """Claim the tick of `entry` due at `due` and enqueue its call; None if taken.

    The call is the entry's envelope timed from the due moment (its `expires` and
    `countdown` count from there), written to the due queue, so a late tick can end
    `REVOKED` exactly as a late deferred call does. The movers' bell is rung (once for
    many claims, with `ring_movers=False` and a `ring(MOVER_BELL)` after them). The
    publish signals go around the claim, `after_task_publish` only once it is won.
    """
    broker = get_broker()
    queue = ticks_queue(entry.name)
    template = Envelope.from_json(entry.envelope)
    envelope = dataclasses.replace(
        template,
        eta=due + (entry.countdown or 0.0),
        expires=None if entry.expires_after is None else due + entry.expires_after,
    )
    body = envelope.to_json()
    if observed() and any(claim.due == due for claim in latest_claims(entry.name, _KEEP_LATEST)):
        return None  # Claimed already: its scheduler published it.
    publication = before_publish(envelope)
    for probe in range(_PROBES):
        claim_id = _claim_id(entry.name, due, probe)
        for _attempt in range(_INSERT_ATTEMPTS):
            call_id = broker.generate_timestamp()
            claim = Claim(entry.name, due, str(call_id), time.time(), claim_id)
            try:
                broker.insert_messages(
                    [(queue, claim.to_json(), claim_id), (DUE_QUEUE, body, call_id)]
                )
            except sqlite3.IntegrityError:
                holder = _holder(claim_id)
                if holder is None:
                    continue  # The call's fresh id was taken meanwhile: draw another.
                if holder.entry == entry.name and holder.due == due:
                    return None  # Another scheduler claimed this tick.
                break  # Another entry's tick holds this id: probe the next one.
            if ring_movers:
                ring(MOVER_BELL)
            if publication is not None:
                publication.published(claim.call_id)
            return claim
        else:
            raise RuntimeError(f"could not claim the tick of {entry.name!r} due at {due!r}")
    raise RuntimeError(f"no free claim id for the tick of {entry.name!r} due at {due!r}")


def _holder(claim_id: int) -> Claim | None:
    """The claim holding `claim_id`, in whichever entry's ticks queue it is."""
    broker = get_broker()
    for queue in broker.list_queues(prefix=ticks_prefix()):
        found = broker.peek_one(queue, exact_timestamp=claim_id, with_timestamps=True)
        if found is not None:
            return Claim.from_json(found[0], found[1])
    return None


def prune_claims(name: str, now: float | None = None) -> int:
    """Drop the entry's claims older than an hour, keeping its latest few."""
    moment = time.time() if now is None else now
    broker = get_broker()
    queue = ticks_queue(name)
    found = broker.peek_many(queue, 1000, with_timestamps=True, order="newest")
    old = [
        message_id
        for body, message_id in found[_KEEP_LATEST:]
        if Claim.from_json(body, message_id).claimed_at < moment - _KEEP_SECONDS
    ]
    return broker.delete_message_ids(queue, old) if old else 0
