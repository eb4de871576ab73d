"""What a pool process holds in its running queue: calls claimed ahead, and ended calls.

Every broker write takes SQLite's one write lock, and under load the pooled lane is
bound by how many writes each call costs. Two of those are saved here:

- `Claims` claims up to `prefetch_multiplier` calls in one write when a backlog waits
  (Celery's prefetch). Claiming ahead makes those calls wait behind the running one,
  so a process takes no more than its share of what waits, and none ahead while its
  calls are slow; a watcher thread gives the calls it still holds back to the queue,
  at their places, once they have waited `HOLD_SECONDS` while a call runs. A slow call
  never keeps other calls from an idle process for long.
- `Acks` deletes the messages of ended calls a batch at a time, or once the work pauses
  (`_child`). Once a call's outcome (or its retry) is on its record, its message is only
  a leftover: whoever finds it later (the master, a redelivery) reads the record and
  drops it.

A process that finds nothing waiting learns it from a read, which takes no turn at the
write lock: SQLite makes a writer that finds the lock taken sleep a millisecond or more,
and an idle process looks after every call.

Both go through the broker handle whose commits are not synced one by one
(`claim_broker`): a claim becomes durable with the next synced commit, at the latest
the master's lease renewal that reports the call running, so a claim costs no wait for
the disk, while enqueues and outcomes are synced before they return.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from weft_compat._broker import claim_broker
from weft_compat._doorbell import ring
from weft_compat._expiry import flush_ended

__all__ = ["HOLD_SECONDS", "Acks", "Claims"]

# How long calls claimed ahead may wait behind running calls before going back.
HOLD_SECONDS: Final = 0.2
# Ended calls whose messages are deleted in one broker write.
ACK_BATCH: Final = 32

Claim = tuple[str, int]


class Claims:
    """The calls one pool process has claimed from `pending` into its `running` queue."""

    def __init__(
        self,
        pending: str,
        running: str,
        *,
        prefetch: int,
        processes: int,
        bell: str | None = None,
    ) -> None:
        self.pending = pending
        self.bell = bell  # Rung when calls go back, for an idle process to take them.
        self.running = running
        self.prefetch = prefetch
        self.processes = processes
        self.ahead: deque[Claim] = deque()
        self.claimed_at = 0.0  # When the calls held ahead were claimed (monotonic).
        self.busy = False  # Whether a call is running.
        self.slow = False  # Whether the last call took longer than HOLD_SECONDS.
        self.closed = False
        self.timing = False  # Whether the watcher waits for held calls' time to pass.
        self.lock = threading.Condition()
        self.watcher: threading.Thread | None = None
        if prefetch > 1:
            self.watcher = threading.Thread(
                target=self._watch, name="weft_compat-claims", daemon=True
            )
            self.watcher.start()

    def next(self) -> Claim | None:
        """The next call to run: one claimed ahead, else a new claim; None if none waits."""
        with self.lock:
            if self.ahead:
                return self.ahead.popleft()
        broker = claim_broker()
        limit = self._share()
        if limit == 0:
            return None
        if limit == 1:
            return broker.move_one(self.pending, self.running)
        batch = broker.move_many(self.pending, self.running, limit)
        if not batch:
            return None
        with self.lock:
            self.ahead.extend(batch[1:])
            self.claimed_at = time.monotonic()
        return batch[0]

    def _share(self) -> int:
        # This process's share of the backlog, up to `prefetch`: a burst of a few calls
        # is spread over the idle processes rather than claimed by the first to look.
        # After a slow call, one at a time: calls claimed ahead would only go back.
        # Nothing waiting: 0.
        if self.prefetch == 1 or self.slow:
            first = claim_broker().peek_one(self.pending, with_timestamps=False)
            return 0 if first is None else 1  # (An empty message is one all the same.)
        waiting = claim_broker().peek_many(
            self.pending, self.prefetch * self.processes, with_timestamps=False
        )
        if not waiting:
            return 0
        return max(1, min(self.prefetch, len(waiting) // self.processes))

    @contextmanager
    def running_one(self) -> Iterator[None]:
        """Mark a call as running: the calls held ahead now wait behind it."""
        with self.lock:
            self.busy = True
            if self.ahead and not self.timing:
                # The watcher sleeps until calls wait behind a running one; once it
                # times them, it looks again when their time is up, unwoken.
                self.lock.notify()
        started = time.monotonic()
        try:
            yield
        finally:
            with self.lock:
                self.busy = False
                self.slow = time.monotonic() - started > HOLD_SECONDS

    def close(self) -> None:
        """Put every call claimed ahead back in the queue and stop the watcher."""
        with self.lock:
            self._give_back_held()
            self.closed = True
            self.lock.notify()
        if self.watcher is not None:
            self.watcher.join()

    def _give_back_held(self) -> None:
        # Each call keeps its id, and so its place in the queue. A call the master ended
        # meanwhile (a revoke) is no longer there to move.
        broker = claim_broker()
        given = False
        while self.ahead:
            _, call_id = self.ahead.popleft()
            moved = broker.move_one(self.running, self.pending, exact_timestamp=call_id)
            given = given or moved is not None
        if given and self.bell is not None:
            ring(self.bell)

    def _watch(self) -> None:
        with self.lock:
            while not self.closed:
                if not (self.ahead and self.busy):
                    self.lock.wait()
                    continue
                left = self.claimed_at + HOLD_SECONDS - time.monotonic()
                if left > 0:
                    self.timing = True
                    self.lock.wait(left)
                    self.timing = False
                else:
                    self._give_back_held()


class Acks:
    """Ended calls whose messages are still in the running queue, deleted in batches."""

    def __init__(self, running: str) -> None:
        self.running = running
        self.ended: list[int] = []

    def add(self, call_id: int) -> None:
        """Note that `call_id` ended; deletes a batch once enough have."""
        self.ended.append(call_id)
        if len(self.ended) >= ACK_BATCH:
            self.flush()

    def flush(self) -> None:
        """Delete the messages of every ended call noted so far, then index those calls
        for expiry (after: an indexed call has no message left to be redelivered)."""
        if self.ended:
            claim_broker().delete_message_ids(self.running, self.ended)
            self.ended = []
        flush_ended()
