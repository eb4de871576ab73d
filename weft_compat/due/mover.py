"""The mover: submits each deferred call when it is due, exactly once.

`serve` runs as a process of its own (`python -m weft_compat.due.mover`, started on
demand, detached), with a registry entry renewed as a lease (`_lease`). It keeps the due
queue's calls in a heap ordered by due time, learning new ones as they are written, and
at each due time:

- a call that expired meanwhile ends `REVOKED`;
- a pooled call is moved, in one broker operation keeping its id, into its queue's
  pending queue (starting the pool if needed);
- an isolated call is first claimed (moved into this mover's claimed queue), then
  submitted as a Weft task whose envelope names the claim, then linked from the call's
  record. The worker runs the call only if it takes the claim, so the claim is the
  idempotency key: a mover that dies before the link leaves the claim behind, the next
  mover puts it back in the due queue, and of two submissions at most one ever runs.

A mover also ticks the published periodic schedule (`weft_compat.beat`), claiming
each tick in the broker so that it becomes one call however many schedulers run. At
each full rescan it settles workflows' joins left full by a lost worker and moves on
workflows whose steps ended where no worker acted on it (`canvas`).

Two of those steps send Celery's signals here: a claimed tick its publish signals, a
call that expired while waiting `task_revoked`. Their receivers are connected by the
deployment's code, which a mover loads (as a pool process does) the first time it sends
one, as `celery beat` and Celery's worker import the app.

Several movers may run at once: every step is an atomic broker operation on one id, so
whichever mover gets to a call first submits it and the others find nothing; at its next
full rescan the younger of two live movers leaves. A call that cannot be submitted is
logged and tried again a few seconds later, without holding up the others.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import json
import logging
import os
import signal
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from types import FrameType
from typing import Any, Final

from weft_compat._broker import (
    DUE_QUEUE,
    MOVER_BELL,
    MOVER_REGISTRY,
    OPEN_WORKFLOWS,
    claimed_prefix,
    claimed_queue,
    control_queue,
    get_broker,
    pending_queue,
    pool_bell,
    pool_key,
)
from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._doorbell import Bell, ring
from weft_compat._envelope import Envelope
from weft_compat._expiry import maybe_sweep
from weft_compat._idle import IdleWatch
from weft_compat._lease import HEARTBEAT_SECONDS, WorkerEntry, heartbeat, live_ids, unregister
from weft_compat._manager import submit_isolated
from weft_compat._outcome import SUBMITTED, note, read_events, refused_outcome, write_outcome
from weft_compat._revoked import announce_revoked
from weft_compat._taskspec import deferred_taskspec, with_owner
from weft_compat._worker_config import WorkerConfig
from weft_compat.beat._ticker import Ticker
from weft_compat.canvas._advance import sweep_joins
from weft_compat.canvas._records import join_prefix
from weft_compat.canvas._sweep import sweep_steps
from weft_compat.due._queue import expired_outcome, is_expired
from weft_compat.due._registry import live_movers, mover_entry
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool._registry import ensure_pool
from weft_compat.pool._release import record_of
from weft_compat.worker import call_scope, prepare

__all__ = ["Mover", "serve"]

_log = logging.getLogger(__name__)
_RESCAN_SECONDS: Final = 10.0
_LOOKBACK_EVERY_SECONDS: Final = 1.0
_RESUBMIT_SECONDS: Final = 2.0
_IDLE_WAIT_SECONDS: Final = 1.0
# Ids come from clocks in several processes, so a message can commit with an id a
# little below one already seen; each incremental scan looks back this far.
_LOOKBACK_NS: Final = 5 * 10**9
_SCAN_BATCH: Final = 1000


class Mover:
    """One mover's view of the due queue and what it has claimed."""

    def __init__(
        self,
        tid: str,
        config: WorkerConfig | None = None,
        idle_timeout: float | None = None,
        *,
        entry: WorkerEntry | None = None,
    ) -> None:
        self.tid = tid
        self.config = config or WorkerConfig()
        self.entry = entry
        self.last_heartbeat = time.monotonic()
        self.idle = IdleWatch(
            idle_timeout,
            busy=self.busy,
            mark_leaving=lambda: self.renew(leaving=True),
            mark_serving=lambda: self.renew(leaving=False),
        )
        self.claimed = claimed_queue(tid)
        self.heap: list[tuple[float, int]] = []
        self.known: set[int] = set()
        self.seen = 0
        self.last_rescan = 0.0
        self.last_lookback = 0.0
        self.stopping = False
        self.ticker = Ticker(scope=self.code_scope)
        # Whether the deployment's code was loaded (`code_scope`), and for which Django
        # settings module (None: none, or it could not be loaded).
        self.code_loaded = False
        self.settings_module: str | None = None

    def scan(self, *, full: bool = False, lookback: bool = False) -> None:
        """Learn the due queue's calls written since the last scan (all, with `full`).

        With `lookback`, also those written a little before the newest one seen.
        """
        if full:
            self.heap, self.known, self.seen = [], set(), 0
            self.last_rescan = time.monotonic()
        if lookback:
            self.last_lookback = time.monotonic()
        broker = get_broker()
        after = max(0, self.seen - _LOOKBACK_NS) if lookback else self.seen
        while True:
            batch = broker.peek_many(
                DUE_QUEUE, _SCAN_BATCH, with_timestamps=True, after_timestamp=after
            )
            for body, message_id in batch:
                if message_id not in self.known:
                    self.known.add(message_id)
                    heapq.heappush(self.heap, (_due_time(body), message_id))
                self.seen = max(self.seen, message_id)
            if len(batch) < _SCAN_BATCH:
                return
            after = batch[-1][1]

    def step(self, now: float | None = None) -> float | None:
        """Submit every call due by `now`; returns the next due time, if any.

        A call that cannot be submitted (its pool does not start, the broker is busy)
        is logged and tried again a little later; it never stops the mover.
        """
        moment = time.time() if now is None else now
        while self.heap and self.heap[0][0] <= moment:
            _, message_id = heapq.heappop(self.heap)
            self.known.discard(message_id)
            try:
                self.submit(message_id)
            except Exception:
                _log.exception("could not submit deferred call %s; trying again", message_id)
                self.known.add(message_id)
                heapq.heappush(self.heap, (moment + _RESUBMIT_SECONDS, message_id))
        return self.heap[0][0] if self.heap else None

    def submit(self, message_id: int) -> None:
        """Submit the due call `message_id`, unless another mover or a revoke got it first."""
        broker = get_broker()
        body = broker.peek_one(DUE_QUEUE, exact_timestamp=message_id, with_timestamps=False)
        if body is None:
            return
        try:
            envelope = Envelope.from_json(body)
        except (WeftCompatError, ValueError, TypeError):
            broker.delete_message_ids(DUE_QUEUE, [message_id])
            return
        record = envelope.call_id or str(message_id)
        if is_expired(envelope):
            if broker.delete_message_ids(DUE_QUEUE, [message_id]) == 1:
                # Stored first, then announced, as Celery's worker marks it revoked first.
                write_outcome(record, expired_outcome(envelope), expires=envelope.result_expires)
                self.announce_expired(envelope, record)
            return
        if envelope.settings_module is not None and (
            envelope.settings_module not in self.config.settings
        ):
            # Only a settings module the deployment's own processes run may start a pool.
            if broker.delete_message_ids(DUE_QUEUE, [message_id]) == 1:
                served = ", ".join(sorted(self.config.settings)) or None
                write_outcome(
                    record,
                    refused_outcome(
                        envelope.task, envelope.settings_module, served, owner=envelope.owner
                    ),
                    expires=envelope.result_expires,
                )
            return
        if envelope.lane == "pooled":
            key = pool_key(envelope.queue or "default", envelope.settings_module)
            ensure_pool(
                key,
                envelope.concurrency or os.cpu_count() or 1,
                envelope.prefetch_multiplier,
                offer=self.config,
            )
            broker.move_one(DUE_QUEUE, pending_queue(key), exact_timestamp=message_id)
            ring(pool_bell(key))
            return
        if broker.move_one(DUE_QUEUE, self.claimed, exact_timestamp=message_id) is None:
            return
        try:
            self.submit_isolated(envelope, message_id, record)
        except BaseException:
            # Not submitted: give the call back (unless a revoke took it meanwhile).
            broker.move_one(self.claimed, DUE_QUEUE, exact_timestamp=message_id)
            raise

    def announce_expired(self, envelope: Envelope, record: str) -> None:
        """Send `task_revoked` for a call that expired waiting to be due, as a worker does
        for one it picks up expired (none for a call of another Django project)."""
        with self.code_scope():
            if envelope.settings_module == self.settings_module:
                announce_revoked(envelope.task, record, envelope, expired=True)

    def code_scope(self) -> AbstractContextManager[None]:
        """Where the signals sent here run: the deployment's code loaded (once, as a pool
        process loads it: `sys.path`, Django, the task modules), and Django's fresh
        connections around its receivers."""
        if not self.code_loaded:
            self.code_loaded = True
            settings = sorted(self.config.settings)
            if len(settings) > 1:
                # Django serves one project per process; a mover of several loads none.
                _log.warning(
                    "weft_compat: mover %s serves the Django projects %s and loads none of "
                    "them, so the signals it sends reach no receiver",
                    self.tid,
                    ", ".join(settings),
                )
                return nullcontext()
            try:
                prepare(self.config, settings[0] if settings else None)
            except Exception:
                _log.exception(
                    "weft_compat: mover %s could not load the deployment's code, so the "
                    "signals it sends reach no receiver",
                    self.tid,
                )
                return nullcontext()
            self.settings_module = settings[0] if settings else None
        return call_scope(self.settings_module)

    def submit_isolated(self, envelope: Envelope, message_id: int, record: str) -> None:
        """Submit a claimed isolated call as a Weft task and link it from the record."""
        claimed = dataclasses.replace(
            envelope, call_id=record, claim_queue=self.claimed, claim_id=message_id
        )
        template = deferred_taskspec(envelope.task, envelope.taskspec, self.config)
        task = submit_isolated(
            with_owner(template, envelope.owner), {"payload": claimed.to_payload()}
        )
        note(
            record,
            SUBMITTED,
            attempt_id=task.tid,
            due=message_id,
            task=envelope.task,
            owner=envelope.owner,
        )

    def recover(self) -> None:
        """Put back calls claimed by movers that are gone and never linked them."""
        broker = get_broker()
        serving = live_ids([MOVER_REGISTRY]) | {self.tid}
        for queue in broker.list_queues(prefix=claimed_prefix()):
            owner = queue.removeprefix(claimed_prefix())
            if owner in serving:
                continue
            for body, message_id in broker.peek_many(queue, 1000, with_timestamps=True):
                record = record_of(body, message_id)
                linked = any(
                    event.get("event") == SUBMITTED and event.get("due") == message_id
                    for event in read_events(record)
                )
                if not linked:
                    broker.move_one(queue, DUE_QUEUE, exact_timestamp=message_id)

    def read_control(self) -> None:
        """Apply a shutdown request addressed to this mover."""
        broker = get_broker()
        queue = control_queue(self.tid)
        while (entry := broker.peek_one(queue, with_timestamps=True)) is not None:
            broker.delete_message_ids(queue, [entry[1]])
            if json.loads(entry[0]).get("shutdown"):
                self.stopping = True

    def busy(self) -> bool:
        """Whether deferred calls wait (here or in the broker) or are being submitted,
        a schedule is in force, or a workflow is not over yet."""
        broker = get_broker()
        return (
            bool(self.heap)
            or bool(self.ticker.entries)
            or bool(broker.list_queues(prefix=join_prefix()))
            or any(
                broker.peek_one(queue, with_timestamps=False) is not None
                for queue in (DUE_QUEUE, self.claimed, OPEN_WORKFLOWS)
            )
        )

    @functools.cached_property
    def bell(self) -> Bell:
        """The doorbell deferring processes ring."""
        return Bell(MOVER_BELL, queue=DUE_QUEUE)

    def renew(self, **changes: Any) -> None:
        """Renew this mover's lease (with `changes`, such as `leaving=True`)."""
        self.last_heartbeat = time.monotonic()
        if self.entry is None:
            return
        try:
            self.entry = heartbeat(MOVER_REGISTRY, self.entry, **changes)
        except Exception:
            _log.exception("weft_compat: mover %s could not renew its lease", self.tid)

    def run(self) -> None:
        """Serve until asked to stop (or, started on demand, until idle for long)."""
        started = False
        while not self.stopping:
            try:
                if not started:
                    self.recover()
                    self.scan(full=True)
                    started = True
                if self.turn():
                    return
            except Exception:
                # The broker is unreachable for a moment: the calls wait, nothing is lost.
                _log.exception("weft_compat: mover %s could not reach the broker", self.tid)
                time.sleep(_IDLE_WAIT_SECONDS)

    def turn(self) -> bool:
        """One turn of the loop: submit what is due, then wait; True when leaving."""
        if self.idle.should_stop():
            return True
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT_SECONDS:
            self.renew()
        maybe_sweep()
        version = get_broker().get_data_version()
        upcoming = self.step()
        ticks = self.ticker.step()
        self.read_control()
        if time.monotonic() - self.last_rescan > _RESCAN_SECONDS:
            if self.younger_than_another():
                return True
            self.recover()
            sweep_joins(self.config)
            sweep_steps(self.config)
            self.scan(full=True)
            return False
        wait = _IDLE_WAIT_SECONDS
        for moment in (upcoming, ticks):
            if moment is not None:
                wait = max(0.0, min(wait, moment - time.time()))
        if self.ticker.claimed:
            wait = 0.0  # The ticks just claimed wait in the due queue: take them now.
        # Whoever defers a call rings the movers' bell; due times are kept to the heap's
        # clock, so the broker needs no closer watch.
        if wait > 0 and (version is None or get_broker().get_data_version() == version):
            self.bell.wait(wait)
        self.scan(lookback=time.monotonic() - self.last_lookback > _LOOKBACK_EVERY_SECONDS)
        return False

    def younger_than_another(self) -> bool:
        """Whether an older mover that loads as much is live: one is enough, so the
        younger leaves (one started to replace an older mover that loads less stays)."""
        return any(
            int(entry.tid) < int(self.tid)
            and not entry.leaving
            and entry.config.covers(self.config)
            for entry in live_movers()
        )


def _due_time(body: str) -> float:
    try:
        eta = json.loads(body)["weft_compat"].get("eta")
    except (ValueError, KeyError, TypeError, AttributeError):
        return 0.0  # Not an envelope: `submit` drops it.
    return float(eta) if eta is not None else 0.0


def serve(payload: dict[str, Any]) -> int:
    """Move deferred calls until asked to stop; returns the exit code."""
    context = payload.get("context")
    if context:
        os.environ[CONTEXT_ENV_VAR] = context
    entry = heartbeat(MOVER_REGISTRY, mover_entry(payload, os.getpid()))
    idle_timeout = float(payload.get("idle_timeout") or 0) if entry.autostarted else None
    mover = Mover(entry.tid, entry.config, idle_timeout, entry=entry)

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        mover.stopping = True

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        mover.run()
    finally:
        unregister(MOVER_REGISTRY, entry.tid)
        if "bell" in vars(mover):  # Listening already; a bell never made is not made now.
            mover.bell.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(json.loads(sys.argv[1])))
