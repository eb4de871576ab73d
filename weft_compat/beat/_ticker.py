"""The ticker: what every scheduler runs to turn the published schedule into calls.

Movers run one in their loop and `weft-compat beat` runs one on its own; any number may
run at once, since each tick is claimed in the broker (`_ticks`). A ticker follows the
published schedule (re-read when it changes), keeps each entry's next due moment in a
heap, and when one comes round reads the entry's latest claim from the broker and claims
what is due after it:

- the latest due moment passed since then is claimed; earlier ones missed while no
  scheduler ran are dropped, so after downtime an entry runs once, as with Celery's
  beat;
- an entry with `"missed": "skip"` claims it only if it is late by less than its
  period (at most a minute): after downtime it waits for its next due moment.

Each claim sends the publish signals (`_ticks`) inside the ticker's `scope`, which a
mover uses to load the deployment's code, where their receivers are connected.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import tzinfo
from typing import Final
from zoneinfo import ZoneInfo

from weft_compat._broker import MOVER_BELL
from weft_compat._doorbell import ring
from weft_compat.beat._published import (
    PublishedEntry,
    PublishedSchedule,
    published_id,
    read_published,
)
from weft_compat.beat._schedule import Every, Schedule
from weft_compat.beat._ticks import Claim, claim_tick, latest_claims, prune_claims

__all__ = ["Ticker", "latest_due", "next_due"]

_log = logging.getLogger(__name__)
_REFRESH_SECONDS: Final = 1.0
_PRUNE_SECONDS: Final = 300.0
_RETRY_SECONDS: Final = 2.0
_SKIP_AFTER_SECONDS: Final = 60.0
# How far back a missed tick is looked for, window by window (a yearly crontab's last).
_LOOKBACK_WINDOWS: Final = (2 * 3600.0, 3 * 86400.0, 64 * 86400.0, 800 * 86400.0)


def latest_due(schedule: Schedule, after: float, by: float, zone: tzinfo) -> float | None:
    """The last due moment in (`after`, `by`], or None."""
    if isinstance(schedule, Every):
        latest = schedule.latest_by(by)
        return latest if latest > after else None
    first = schedule.next_after(after, zone)
    if first > by:
        return None
    start = first
    for window in _LOOKBACK_WINDOWS:
        if by - window > first and schedule.next_after(by - window, zone) <= by:
            start = schedule.next_after(by - window, zone)
            break
    due = start
    while (following := schedule.next_after(due, zone)) <= by:
        due = following
    return due


def next_due(entry: PublishedEntry, last: Claim | None, zone: tzinfo) -> float:
    """The entry's first due moment after its latest claim (or its `since`)."""
    base = max(entry.since, last.due) if last is not None else entry.since
    return entry.parsed_schedule().next_after(base, zone)


class Ticker:
    """One scheduler's view of the published schedule and its entries' next ticks.

    `scope` is entered around each claim (and so around its publish signals).
    """

    def __init__(self, scope: Callable[[], AbstractContextManager[None]] = nullcontext) -> None:
        self.scope = scope
        self.schedule: PublishedSchedule | None = None
        self.zone: tzinfo = ZoneInfo("UTC")
        self.heap: list[tuple[float, str]] = []
        self.last_refresh = 0.0
        self.last_prune = time.monotonic()
        self.claimed: list[Claim] = []
        self.schedules: dict[str, Schedule] = {}
        self.by_name: dict[str, PublishedEntry] = {}

    @property
    def entries(self) -> tuple[PublishedEntry, ...]:
        """The entries this ticker follows."""
        return self.schedule.entries if self.schedule is not None else ()

    def refresh(self, *, force: bool = False) -> None:
        """Follow the published schedule if it changed (checked about every second)."""
        if not force and time.monotonic() - self.last_refresh < _REFRESH_SECONDS:
            return
        self.last_refresh = time.monotonic()
        current = published_id()
        if self.schedule is not None and current == self.schedule.message_id and not force:
            return
        self.schedule = read_published() if current is not None else None
        self.zone = ZoneInfo(self.schedule.timezone if self.schedule else "UTC")
        self.schedules = {entry.name: entry.parsed_schedule() for entry in self.entries}
        self.by_name = {entry.name: entry for entry in self.entries}
        # Every entry is looked at once now: its latest claim says when it is due.
        self.heap = [(0.0, entry.name) for entry in self.entries]
        heapq.heapify(self.heap)

    def step(self, now: float | None = None) -> float | None:
        """Claim every tick due by `now`; returns the next moment to look again, if any.

        A tick that cannot be claimed now (the broker is busy) is tried again shortly.
        """
        self.refresh()
        self.claimed = []
        moment = time.time() if now is None else now
        while self.heap and self.heap[0][0] <= moment:
            _, name = heapq.heappop(self.heap)
            entry = self.by_name.get(name)
            if entry is None:
                continue
            try:
                following = self.tick(entry, moment)
            except Exception:
                _log.exception("weft_compat: could not claim a tick of %r; trying again", name)
                following = moment + _RETRY_SECONDS
            heapq.heappush(self.heap, (following, name))
        if self.claimed:
            ring(MOVER_BELL)  # Once for every tick just claimed: a mover submits them.
        if time.monotonic() - self.last_prune > _PRUNE_SECONDS:
            self.last_prune = time.monotonic()
            for entry in self.entries:
                prune_claims(entry.name)
        return self.heap[0][0] if self.heap else None

    def tick(self, entry: PublishedEntry, now: float) -> float:
        """Claim the entry's tick if one is due; returns when to look at it again."""
        schedule = self.schedules.get(entry.name) or entry.parsed_schedule()
        latest = latest_claims(entry.name)
        base = max(entry.since, latest[0].due) if latest else entry.since
        due = latest_due(schedule, base, now, self.zone)
        if due is None:
            return schedule.next_after(base, self.zone)
        if not self._skipped(schedule, entry, due, now):
            with self.scope():
                claim = claim_tick(entry, due, ring_movers=False)
            if claim is not None:
                self.claimed.append(claim)
        return schedule.next_after(max(due, now), self.zone)

    def _skipped(self, schedule: Schedule, entry: PublishedEntry, due: float, now: float) -> bool:
        if entry.missed != "skip":
            return False
        period = schedule.next_after(due, self.zone) - due
        return now - due > min(period, _SKIP_AFTER_SECONDS)
