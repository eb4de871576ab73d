"""The pool master: the process that runs a queue's pool, Celery's prefork parent.

It runs as `python -m weft_compat.pool.master` (started on demand, detached) or in the
foreground of `weft-compat worker`, on the host that started it, and spawns
`concurrency` pool processes there. Until asked to stop it watches them the way
Celery's prefork parent does: a process that dies is replaced and the call it held is
released (redelivered or failed); a call past its hard `time_limit` has its process
killed, ends `FAILURE` with `TimeLimitExceeded`, and the process is replaced, while the
other processes keep serving. Revoke and shutdown requests arrive on the master's
control queue; its registry entry is renewed as a lease (`_lease`). Calls left behind by
a master that died (its process gone, or its lease lapsed) are released by the next
master. While deferred calls wait, a master also makes sure a mover runs to submit them.

SIGTERM or Ctrl-C stops it warmly (running calls finish, waiting calls stay queued); a
second one stops it at once, putting the running calls back.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any, Final

from weft_compat._broker import (
    control_queue,
    get_broker,
    pending_queue,
    pool_bell,
    registry_queue,
    running_prefix,
    running_queue,
)
from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._doorbell import ring
from weft_compat._errors import TaskError
from weft_compat._expiry import maybe_sweep
from weft_compat._idle import IdleWatch
from weft_compat._lease import HEARTBEAT_SECONDS, LEASE_SECONDS, heartbeat, is_live, unregister
from weft_compat._outcome import Outcome, revoked, write_outcome
from weft_compat._states import FAILURE
from weft_compat._tasklog import LOGLEVEL_ENV_VAR, configure_worker_logging
from weft_compat.due._registry import ensure_mover
from weft_compat.pool._child import ChildSpec
from weft_compat.pool._registry import (
    MasterEntry,
    entry_of,
    live_master_ids,
    registered,
    reported_running,
)
from weft_compat.pool._release import (
    end_call,
    expires_of,
    owner_of,
    record_of,
    release,
    task_of,
)
from weft_compat.pool._slots import SlotTable, running_call, slot_file

__all__ = ["Master", "serve"]

_log = logging.getLogger("weft_compat")

_TICK_SECONDS: Final = 0.05
_IDLE_TICK_SECONDS: Final = 0.5
# How soon the registry entry tells other hosts that the set of running calls changed;
# being a synced commit, the renewal also makes the processes' claims durable (`_claims`).
_RUNNING_RENEWAL: Final = 0.5
# A master cut off from the broker this long ends its running calls, a little before
# the others take its lease for lapsed (LEASE_SECONDS) and redeliver them.
_FENCE_SECONDS: Final = 0.8 * LEASE_SECONDS
_ORPHAN_SCAN_SECONDS: Final = 10.0
# How long a process asked to stop (SIGTERM: a revoke) has before it is killed.
_TERM_GRACE_SECONDS: Final = 3.0
_LIMIT_ERROR = "weft_compat.exceptions.TimeLimitExceeded"


class Master:
    """One queue's pool: its processes, their shared slots, and the control loop."""

    def __init__(
        self,
        entry: MasterEntry,
        queue: str,
        context: str | None,
        settings_module: str | None,
        idle_timeout: float | None = None,
    ) -> None:
        self.entry = entry
        self.queue = queue
        self.tid = entry.tid
        self.context = context
        self.prefetch = entry.prefetch_multiplier
        self.config = entry.config
        self.settings_module = settings_module
        self.registry = registry_queue(queue)
        self.table = SlotTable(slot_file(self.tid), entry.concurrency, create=True)
        self.children: list[subprocess.Popen[bytes] | None] = [None] * entry.concurrency
        self.last_orphan_scan = 0.0
        self.last_heartbeat = time.monotonic()
        self.last_renewed = time.monotonic()
        self.fenced = False
        self.terminated = False
        self.stop_grace: float | None = None
        self.idle = IdleWatch(
            idle_timeout,
            busy=self.busy,
            mark_leaving=lambda: self.renew(leaving=True),
            mark_serving=lambda: self.renew(leaving=False),
        )
        # The pool processes import what this process can, and their configuration.
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}

    def spawn(self, slot: int) -> None:
        """Start (or restart) the pool process of `slot`."""
        spec = ChildSpec(
            self.queue,
            self.tid,
            os.getpid(),
            slot,
            self.table.size,
            self.context,
            self.prefetch,
            config=self.config.to_data(),
            settings_module=self.settings_module,
        )
        self.children[slot] = subprocess.Popen(
            [sys.executable, "-m", "weft_compat.pool._child", spec.to_json()],
            stdin=subprocess.DEVNULL,
            env=self.env,
        )

    def alive(self, slot: int) -> bool:
        """Whether the process of `slot` is running."""
        child = self.children[slot]
        return child is not None and child.poll() is None

    def run(self) -> None:
        """Serve until a shutdown request, then let running calls finish."""
        started = False
        while not self.table.stopping:
            try:
                if not started:
                    self.release_orphans()
                    ensure_mover(only_if_waiting=True, offer=self.config)
                    started = True
                    for slot in range(len(self.children)):
                        self.spawn(slot)
                self.tick()
                if self.idle.should_stop():
                    self.table.request_stop()
            except Exception:
                # The broker is unreachable (a cut link, a restarting server): keep the
                # processes' limits, keep trying, and fence once the lease may have lapsed.
                _log.exception("weft_compat: pool master %s could not reach the broker", self.tid)
                self.enforce_limits()
                self.fence_if_lapsed()
                time.sleep(_IDLE_TICK_SECONDS)
        # Idle processes wait on the bell: wake each, so they see the stop at once.
        ring(pool_bell(self.queue), len(self.children))
        if self.terminated:
            self.release_held(count_delivery=False)
            self.table.remove()
        else:
            self.drain()

    def tick(self) -> None:
        """Replace lost processes, enforce limits, read control, renew the lease, wait.

        While a call runs the master looks every few tens of milliseconds (hard limits,
        revokes); idle, twice a second.
        """
        if self.fenced:
            self.renew()
            if self.fenced:  # Still cut off from the broker.
                time.sleep(_IDLE_TICK_SECONDS)
                return
        for slot in range(len(self.children)):
            if not self.alive(slot) and not self.table.stopping:
                self.replace(slot, reason="lost")
        self.enforce_limits()
        self.read_control()
        now = time.monotonic()
        calls = tuple(
            sorted(call for slot in range(len(self.children)) if (call := self.table.call(slot)[0]))
        )
        due = now - self.last_heartbeat >= HEARTBEAT_SECONDS
        if due or (calls != self.entry.running and now - self.last_heartbeat >= _RUNNING_RENEWAL):
            self.renew(running=calls)
        if now - self.last_orphan_scan > _ORPHAN_SCAN_SECONDS:
            self.release_orphans()
            # Deferred calls and retries need a mover; replace one that died.
            ensure_mover(only_if_waiting=True, offer=self.config)
            maybe_sweep()
        running = any(self.table.call(slot)[0] for slot in range(len(self.children)))
        time.sleep(_TICK_SECONDS if running else _IDLE_TICK_SECONDS)

    def renew(self, **changes: Any) -> None:
        """Renew this master's lease (with `changes`, such as `leaving=True`)."""
        self.last_heartbeat = time.monotonic()
        try:
            self.entry = heartbeat(self.registry, self.entry, **changes)
        except Exception:
            # A broker that is busy or briefly unreachable: the lease runs a while yet.
            _log.exception("weft_compat: pool master %s could not renew its lease", self.tid)
            self.fence_if_lapsed()
            return
        self.last_renewed = time.monotonic()
        if self.fenced:
            _log.warning("weft_compat: pool master %s reaches the broker again", self.tid)
            self.fenced = False

    def fence_if_lapsed(self) -> None:
        """Stop running calls once the lease may have lapsed.

        Other hosts then take this pool for dead and redeliver its calls; ending them here
        first keeps a call from running on two hosts at once. The processes come back
        when the lease is renewed.
        """
        if self.fenced or time.monotonic() - self.last_renewed < _FENCE_SECONDS:
            return
        _log.warning(
            "weft_compat: pool master %s lost its lease; its running calls go elsewhere", self.tid
        )
        self.fenced = True
        self.kill_children()
        for slot in range(len(self.children)):
            child = self.children[slot]
            if child is not None:
                child.wait()
            self.children[slot] = None
            self.table.clear(slot)

    def busy(self) -> bool:
        """Whether a call runs here or waits in the queue."""
        if any(self.table.call(slot)[0] for slot in range(len(self.children))):
            return True
        return get_broker().peek_one(pending_queue(self.queue), with_timestamps=False) is not None

    def replace(self, slot: int, *, reason: str, signal_name: str = "KILL") -> None:
        """Replace the process of `slot`, ending or releasing the call it held."""
        call_id, _ = self.table.call(slot)
        child = self.children[slot]
        if child is not None and child.poll() is None:
            if signal_name == "KILL":
                child.kill()
            else:
                child.terminate()
            try:
                child.wait(_TERM_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                # The call's code catches SIGTERM and goes on: the master cannot wait on
                # it (its lease must be renewed), so the process is killed.
                child.kill()
                child.wait()
        self.table.clear(slot)
        running = running_queue(self.queue, self.tid, slot)
        for body, held in get_broker().peek_many(running, 100, with_timestamps=True):
            task = task_of(body)
            record = record_of(body, held)
            if held == call_id and reason == "limit":
                end_call(running, held, _time_limit_outcome(held, task), record=record, body=body)
            elif held == call_id and reason == "revoke":
                end_call(running, held, revoked(task, signal_name), record=record, body=body)
            else:
                # Only the call the process was running was delivered; the calls it had
                # claimed ahead go back as they were.
                release(running, held, body, count_delivery=held == call_id)
        if not self.table.stopping:
            self.spawn(slot)

    def enforce_limits(self) -> None:
        """Kill the process of any call past its hard deadline."""
        now = time.monotonic()
        for slot in range(len(self.children)):
            call_id, deadline = self.table.call(slot)
            if call_id and deadline and now > deadline:
                self.replace(slot, reason="limit")

    def read_control(self) -> None:
        """Apply revoke and shutdown requests addressed to this master."""
        broker = get_broker()
        queue = control_queue(self.tid)
        while (entry := broker.peek_one(queue, with_timestamps=True)) is not None:
            body, message_id = entry
            broker.delete_message_ids(queue, [message_id])
            request = json.loads(body)
            if request.get("shutdown"):
                self.table.request_stop()
            elif "revoke" in request:
                self.revoke(int(request["revoke"]), str(request.get("signal", "TERM")))

    def revoke(self, call_id: int, signal_name: str) -> None:
        """Stop the call `call_id` if one of this pool's processes holds it.

        A call claimed ahead and not started yet is ended where it waits (its process
        then skips it); one given back to the queue meanwhile is ended there.
        """
        broker = get_broker()
        for slot in range(len(self.children)):
            if self.table.call(slot)[0] == call_id:
                self.replace(slot, reason="revoke", signal_name=signal_name)
                return
            running = running_queue(self.queue, self.tid, slot)
            entry = broker.peek_one(running, exact_timestamp=call_id, with_timestamps=True)
            if entry is not None:
                task = task_of(entry[0])
                record = record_of(entry[0], call_id)
                end_call(running, call_id, revoked(task, signal_name), record=record, body=entry[0])
                if self.table.call(slot)[0] == call_id:  # Started just before it ended.
                    self.replace(slot, reason="revoke", signal_name=signal_name)
                return
        pending = pending_queue(self.queue)
        entry = broker.peek_one(pending, exact_timestamp=call_id, with_timestamps=True)
        if entry is not None and broker.delete_message_ids(pending, [call_id]) == 1:
            task = task_of(entry[0])
            write_outcome(
                record_of(entry[0], call_id),
                revoked(task, signal_name, owner=owner_of(entry[0])),
                expires=expires_of(entry[0]),
            )

    def release_orphans(self) -> None:
        """Release calls held by pool processes of masters that are no longer live."""
        self.last_orphan_scan = time.monotonic()
        broker = get_broker()
        serving = live_master_ids() | {self.tid}
        checked: dict[str, bool] = {}
        reported: dict[str, tuple[int, ...]] | None = None
        for running in broker.list_queues(prefix=running_prefix()):
            owner, slot = running.rsplit(".", 2)[-2:]
            checked[owner] = owner in serving
            if checked[owner]:
                continue
            # Only the call that was running counts as delivered, not those claimed
            # ahead: the dead master's slot table tells them apart while it lasts (on its
            # host), else the calls its lease last reported as running (any host).
            current = running_call(owner, int(slot))
            if current is None and reported is None:
                reported = reported_running()
            ran = {current} if current is not None else set((reported or {}).get(owner, ()))
            for body, held in broker.peek_many(running, 100, with_timestamps=True):
                release(running, held, body, count_delivery=not ran or held in ran)
        for owner, live in checked.items():
            if not live:
                slot_file(owner).unlink(missing_ok=True)

    def drain(self) -> None:
        """Wait for the processes to finish their calls (limits still apply), then leave.

        Past `stop_grace` seconds (or on a second stop signal) the running calls are
        ended where they are and put back, as a cold stop does.
        """
        deadline = None if self.stop_grace is None else time.monotonic() + self.stop_grace
        while any(self.alive(slot) for slot in range(len(self.children))):
            if self.terminated or (deadline is not None and time.monotonic() > deadline):
                self.kill_children()
                break
            self.enforce_limits()
            if time.monotonic() - self.last_heartbeat >= HEARTBEAT_SECONDS:
                self.renew(leaving=True)
            time.sleep(_TICK_SECONDS)
        self.release_held(count_delivery=False)
        self.table.remove()

    def release_held(self, *, count_delivery: bool) -> None:
        """Put back every call this pool's processes still hold."""
        broker = get_broker()
        for slot in range(len(self.children)):
            running = running_queue(self.queue, self.tid, slot)
            for body, held in broker.peek_many(running, 100, with_timestamps=True):
                release(running, held, body, count_delivery=count_delivery)

    def kill_children(self) -> None:
        """Kill every pool process at once (a second stop signal)."""
        for child in self.children:
            if child is not None and child.poll() is None:
                child.kill()


def _time_limit_outcome(call_id: int, task: str | None) -> Outcome:
    error = TaskError(
        exception_class_path=_LIMIT_ERROR,
        message=f"call {call_id} exceeded its hard time limit and its pool process was killed",
        traceback="",
    )
    return Outcome(FAILURE, error=error, status="timeout", task=task)


def serve(payload: dict[str, Any]) -> int:
    """Run the pool of one queue until asked to stop; returns the exit code."""
    queue = str(payload["queue"])
    context = payload.get("context")
    if context:
        os.environ[CONTEXT_ENV_VAR] = context
    # `weft-compat worker --loglevel`, also when the master runs detached.
    configure_worker_logging(os.environ.get(LOGLEVEL_ENV_VAR))
    settings_module = payload.get("settings_module") or None
    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    else:
        # A pool of no Django project sets none up, whatever the environment says.
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    entry = entry_of(payload, os.getpid())
    if entry.autostarted and _older_autostarted_master(queue, entry):
        unregister(registry_queue(queue), entry.tid)
        return 0
    entry = heartbeat(registry_queue(queue), entry)
    idle_timeout = float(payload.get("idle_timeout") or 0) if entry.autostarted else None
    master = Master(entry, queue, context, settings_module, idle_timeout)
    grace = payload.get("stop_grace")
    master.stop_grace = float(grace) if grace is not None else None

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        # The first signal stops warmly; a second at once (a handler must not re-enter
        # the broker, so the loop does the broker's part).
        if master.table.stopping:
            master.terminated = True
            master.kill_children()
        master.table.request_stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        master.run()
    finally:
        unregister(registry_queue(queue), entry.tid)
    return 0


def _older_autostarted_master(queue: str, entry: MasterEntry) -> bool:
    # Two processes may autostart a pool at once; the older master keeps the queue,
    # unless this one was started to replace it (it loads more).
    return any(
        other.autostarted
        and not other.leaving
        and int(other.tid) < int(entry.tid)
        and other.config.covers(entry.config)
        and is_live(other)
        for other in registered(queue)
    )


if __name__ == "__main__":
    raise SystemExit(serve(json.loads(sys.argv[1])))
