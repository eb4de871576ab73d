"""Leaving when idle: how a pool or mover started on demand goes away on its own.

Celery never leaves a worker running behind its user's back, so what `enqueue` starts
on demand leaves once it has had nothing to do for the `IDLE_TIMEOUT` setting's seconds
(workers started on purpose, with `weft-compat worker`, stay until stopped). Leaving
takes two steps, because an enqueuing process trusts its last look at a registry for a
few seconds: the worker first marks its registry entry `leaving` and keeps serving for
`LEAVE_GRACE_SECONDS` (longer than any process trusts a look), so anything enqueued
meanwhile is either served by it or finds no serving entry and starts another worker;
then it stops, unless work arrived during the grace, in which case it serves on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

__all__ = ["LEAVE_GRACE_SECONDS", "IdleWatch"]

# Enqueuers re-read the registries at least every five seconds; twice that, to spare.
LEAVE_GRACE_SECONDS: Final = 10.0
# How often the watch asks whether there is work (each look reads the broker).
_LOOK_SECONDS: Final = 1.0


class IdleWatch:
    """Decides when an on-demand worker leaves; `timeout` None or 0 means never.

    `mark_leaving` marks the worker's registry entry as leaving; `mark_serving` marks
    it serving again when work arrives during the grace.
    """

    def __init__(
        self,
        timeout: float | None,
        *,
        busy: Callable[[], bool],
        mark_leaving: Callable[[], None],
        mark_serving: Callable[[], None],
    ) -> None:
        self.timeout = timeout or None
        self.busy = busy
        self.mark_leaving = mark_leaving
        self.mark_serving = mark_serving
        self.last_busy = time.monotonic()
        self.last_look = 0.0
        self.leaving_since: float | None = None

    def should_stop(self) -> bool:
        """Look for work (at most every second); True once the worker should stop."""
        now = time.monotonic()
        if self.timeout is None or now - self.last_look < _LOOK_SECONDS:
            return False
        self.last_look = now
        if self.busy():
            self.last_busy = now
            if self.leaving_since is not None:
                self.leaving_since = None
                self.mark_serving()
            return False
        if self.leaving_since is None:
            if now - self.last_busy >= self.timeout:
                self.leaving_since = now
                self.mark_leaving()
            return False
        return now - self.leaving_since >= LEAVE_GRACE_SECONDS
