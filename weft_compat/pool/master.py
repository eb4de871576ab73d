"""The pool master: the long-lived Weft function task that runs a queue's pool.

Weft starts `serve` like any function task and supervises it; `serve` spawns
`concurrency` pool processes and, until asked to stop, watches them the way Celery's
prefork parent does: a process that dies is replaced and the call it held is released
(redelivered or failed); a call past its hard `time_limit` has its process killed, ends
`FAILURE` with `TimeLimitExceeded`, and the process is replaced, while the other
processes keep serving. Revoke and shutdown requests arrive on the master's control
queue. Calls left behind by a master that died are released by the next master. While
deferred calls wait, a master also makes sure a mover runs to submit them.
"""

from __future__ import annotations

import json
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
    registry_queue,
    running_prefix,
    running_queue,
)
from weft_compat._client import get_client
from weft_compat._config import CONTEXT_ENV_VAR, DEFAULT_PREFETCH_MULTIPLIER
from weft_compat._errors import TaskError
from weft_compat._expiry import maybe_sweep
from weft_compat._idle import IdleWatch
from weft_compat._outcome import Outcome, write_outcome
from weft_compat._states import FAILURE
from weft_compat._worker_config import WorkerConfig
from weft_compat.due._registry import ensure_mover
from weft_compat.pool._child import ChildSpec
from weft_compat.pool._registry import (
    MasterEntry,
    is_live,
    register,
    registered,
    unregister,
)
from weft_compat.pool._release import (
    end_call,
    expires_of,
    record_of,
    release,
    revoked,
    task_of,
)
from weft_compat.pool._slots import SlotTable, running_call, slot_file

__all__ = ["serve"]

_TICK_SECONDS: Final = 0.05
_ORPHAN_SCAN_SECONDS: Final = 10.0
_LIMIT_ERROR = "weft_compat.exceptions.TimeLimitExceeded"


class Master:
    """One queue's pool: its processes, their shared slots, and the control loop."""

    def __init__(
        self,
        queue: str,
        concurrency: int,
        prefetch: int,
        tid: str,
        context: str | None,
        config: WorkerConfig,
        settings_module: str | None,
        idle_timeout: float | None = None,
    ) -> None:
        self.queue = queue
        self.tid = tid
        self.context = context
        self.prefetch = prefetch
        self.config = config
        self.settings_module = settings_module
        self.table = SlotTable(slot_file(tid), concurrency, create=True)
        self.children: list[subprocess.Popen[bytes] | None] = [None] * concurrency
        self.last_orphan_scan = 0.0
        self.terminated = False
        self.entry = MasterEntry(tid, concurrency, True, 0, prefetch, config)
        self.idle = IdleWatch(
            idle_timeout,
            busy=self.busy,
            unregister=lambda: _unregister_self(queue, tid),
            register=self.register_again,
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
        self.release_orphans()
        ensure_mover(only_if_waiting=True, offer=self.config)
        for slot in range(len(self.children)):
            self.spawn(slot)
        while not self.table.stopping:
            self.tick()
            if self.idle.should_stop():
                self.table.request_stop()
        if self.terminated:
            self.release_held(count_delivery=False)
            self.table.remove()
        else:
            self.drain()

    def tick(self) -> None:
        """Replace lost processes, enforce limits, read control, and wait a little."""
        for slot in range(len(self.children)):
            if not self.alive(slot) and not self.table.stopping:
                self.replace(slot, reason="lost")
        self.enforce_limits()
        self.read_control()
        if time.monotonic() - self.last_orphan_scan > _ORPHAN_SCAN_SECONDS:
            self.release_orphans()
            # Deferred calls and retries need a mover; replace one that died.
            ensure_mover(only_if_waiting=True, offer=self.config)
            maybe_sweep()
        time.sleep(_TICK_SECONDS)

    def busy(self) -> bool:
        """Whether a call runs here or waits in the queue."""
        if any(self.table.call(slot)[0] for slot in range(len(self.children))):
            return True
        return get_broker().peek_one(pending_queue(self.queue), with_timestamps=False) is not None

    def register_again(self) -> None:
        """Serve the queue again after work arrived while leaving."""
        entry = self.entry
        register(
            registry_queue(self.queue),
            self.tid,
            entry.concurrency,
            autostarted=True,
            prefetch_multiplier=entry.prefetch_multiplier,
            config=entry.config,
        )

    def replace(self, slot: int, *, reason: str, signal_name: str = "KILL") -> None:
        """Replace the process of `slot`, ending or releasing the call it held."""
        call_id, _ = self.table.call(slot)
        child = self.children[slot]
        if child is not None and child.poll() is None:
            child.kill() if signal_name == "KILL" else child.terminate()
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
                revoked(task, signal_name),
                expires=expires_of(entry[0]),
            )

    def release_orphans(self) -> None:
        """Release calls held by pool processes of masters that are no longer live."""
        self.last_orphan_scan = time.monotonic()
        broker = get_broker()
        checked: dict[str, bool] = {self.tid: True}
        for running in broker.list_queues(prefix=running_prefix()):
            owner, slot = running.rsplit(".", 2)[-2:]
            if owner not in checked:
                checked[owner] = is_live(owner)
            if checked[owner]:
                continue
            # The dead master's slot table, while it lasts, tells the call that was
            # running from those claimed ahead: only that one counts as delivered.
            current = running_call(owner, int(slot))
            for body, held in broker.peek_many(running, 100, with_timestamps=True):
                release(running, held, body, count_delivery=current in (None, held))
        for owner, live in checked.items():
            if not live:
                slot_file(owner).unlink(missing_ok=True)

    def drain(self) -> None:
        """Wait for the processes to finish their calls (limits still apply), then leave."""
        while any(self.alive(slot) for slot in range(len(self.children))):
            self.enforce_limits()
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
        """Kill every pool process at once (the master is being stopped by Weft)."""
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


def serve(payload: Any = None) -> dict[str, Any]:
    """Weft function target: run the pool of one queue until asked to stop."""
    queue = str(payload["queue"])
    context = payload.get("context")
    if context:
        os.environ[CONTEXT_ENV_VAR] = context
    settings_module = payload.get("settings_module") or None
    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    else:
        # A pool of no Django project sets none up, whatever the manager's environment says.
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    config = WorkerConfig.from_data(payload.get("config"))
    tid = get_client().tasks.resolve_tid(pid=os.getpid())
    if tid is None:
        raise RuntimeError("a pool master must run as a Weft task")
    if payload.get("autostarted") and _older_autostarted_master(queue, tid, config):
        _unregister_self(queue, tid)
        return {"queue": queue, "served": False, "reason": "another master serves the queue"}
    prefetch = int(payload.get("prefetch_multiplier") or DEFAULT_PREFETCH_MULTIPLIER)
    autostarted = bool(payload.get("autostarted"))
    idle_timeout = float(payload.get("idle_timeout") or 0) if autostarted else None
    master = Master(
        queue,
        int(payload["concurrency"]),
        prefetch,
        tid,
        context,
        config,
        settings_module,
        idle_timeout,
    )

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        # Weft kills the task moments after this signal: end the pool processes now and
        # leave the broker work to the loop (a handler must not re-enter the broker).
        master.terminated = True
        master.table.request_stop()
        master.kill_children()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    try:
        master.run()
    finally:
        _unregister_self(queue, tid)
    return {"queue": queue, "served": True}


def _older_autostarted_master(queue: str, tid: str, config: WorkerConfig) -> bool:
    # Two processes may autostart a pool at once; the older master keeps the queue,
    # unless this one was started to replace it (it loads more).
    return any(
        entry.autostarted
        and int(entry.tid) < int(tid)
        and entry.config.covers(config)
        and is_live(entry.tid, registered_at=entry.message_id)
        for entry in registered(queue)
    )


def _unregister_self(queue: str, tid: str) -> None:
    for entry in registered(queue):
        if entry.tid == tid:
            unregister(queue, entry)
