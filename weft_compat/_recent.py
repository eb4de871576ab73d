"""Recent calls, newest first, a page at a time: what Flower's task list showed.

Every ended call is listed in the expiry index (`_expiry`), a batch of ids per message,
one queue per expiry length, in the order the calls ended. A page reads that index from
its newest message backwards (`peek_many(order="newest", before_timestamp=...)` on each
index queue, merged by message id) and each listed call's outcome (one small read per
row), so a page costs the same at the first call and at the hundred-thousandth.

The cursor of the next page is the index message to resume at and how many of its calls
(newest first) the pages before showed. A filtered page stops after `SCAN_LIMIT` calls
whatever it found, and offers the cursor where it stopped, so no page reads everything
to find a rare task. A pool process indexes its ended calls a batch at a time, so the
order is the order batches reached the index, and a call shows once its batch did.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from weft_compat._broker import get_broker
from weft_compat._expiry import calls_in, index_queues
from weft_compat._outcome import outcome_in, read_events
from weft_compat._states import RETRY
from weft_compat.exceptions import InvalidCursor

__all__ = ["PAGE_SIZE", "SCAN_LIMIT", "Cursor", "Page", "RecentCall", "recent_calls"]

PAGE_SIZE: Final = 50
# The most calls one page reads to fill itself under a filter.
SCAN_LIMIT: Final = 500
# Index messages read per queue at a time.
_CHUNK: Final = 64


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: index message `message_id`, past its `skip` newest calls."""

    message_id: int
    skip: int = 0

    def __str__(self) -> str:
        return f"{self.message_id}.{self.skip}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor `str(cursor)` gave; raises `InvalidCursor` for anything else."""
        message_id, _, skip = text.partition(".")
        if not (message_id.isdigit() and len(message_id) <= 19 and skip.isdigit()):
            raise InvalidCursor(
                f"{text!r} is not a cursor of the recent calls (a message id, a dot and a "
                "count); follow the list's own 'older' link"
            )
        return cls(int(message_id), int(skip))


@dataclass(frozen=True, slots=True)
class RecentCall:
    """One row of the list: an ended call as its outcome records it."""

    id: str
    task: str | None
    state: str
    queue: str | None
    date_done: float | None
    duration: float | None
    retries: int


@dataclass(frozen=True, slots=True)
class Page:
    """A page of calls, and the cursor of the next (older) one, None at the end.

    `scanned` is how many listed calls were read; `stopped` says the page stopped at
    `SCAN_LIMIT` before it was full.
    """

    calls: list[RecentCall]
    older: Cursor | None
    scanned: int
    stopped: bool = False


def recent_calls(
    *,
    start: Cursor | None = None,
    size: int = PAGE_SIZE,
    task: str | None = None,
    state: str | None = None,
    queue: str | None = None,
    scan: int = SCAN_LIMIT,
) -> Page:
    """The page of ended calls from `start` (None: the newest), filtered by exact task
    name, state and queue (a queue is known for calls stored with `RESULT_EXTENDED`)."""
    rows: list[RecentCall] = []
    scanned = 0
    for message_id, calls in _index(start):
        newest_first = calls[::-1]
        first = start.skip if start is not None and message_id == start.message_id else 0
        for position in range(first, len(newest_first)):
            if len(rows) >= size or scanned >= scan:
                return Page(rows, Cursor(message_id, position), scanned, len(rows) < size)
            scanned += 1
            row = _row(newest_first[position])
            if row is None:
                continue  # Expired or forgotten since it was listed.
            if task is not None and row.task != task:
                continue
            if state is not None and row.state != state:
                continue
            if queue is not None and row.queue != queue:
                continue
            rows.append(row)
    return Page(rows, None, scanned)


def _index(start: Cursor | None) -> Iterator[tuple[int, list[str]]]:
    # The index messages at or before `start`, newest first, across its queues.
    upper = None if start is None else start.message_id + 1
    streams = [_newest_first(queue, upper) for queue in index_queues()]
    return heapq.merge(*streams, key=lambda entry: -entry[0])


def _newest_first(queue: str, upper: int | None) -> Iterator[tuple[int, list[str]]]:
    broker = get_broker()
    while True:
        entries = broker.peek_many(
            queue, _CHUNK, with_timestamps=True, before_timestamp=upper, order="newest"
        )
        for body, message_id in entries:
            yield message_id, calls_in(body)
        if len(entries) < _CHUNK:
            return
        upper = entries[-1][1]


def _row(call_id: str) -> RecentCall | None:
    events = read_events(call_id)
    outcome = outcome_in(events)
    if outcome is None:
        return None
    duration = (
        outcome.date_done - outcome.date_started
        if outcome.date_done is not None and outcome.date_started is not None
        else None
    )
    return RecentCall(
        id=call_id,
        task=outcome.task,
        state=outcome.state,
        queue=outcome.queue,
        date_done=outcome.date_done,
        duration=duration,
        retries=sum(1 for event in events if event.get("state") == RETRY),
    )
