"""Weft's manager, which only the isolated lane needs: started quiet, stopped when idle.

Weft autostarts its manager on the first submission. Left to its defaults it spins a
core while tasks run; with an idle lifetime of 0 it is quiet but never leaves. So
weft_compat's client asks for the quiet manager (unless `WEFT_MANAGER_LIFETIME_TIMEOUT`
is set), every isolated call is submitted here, and a manager that a submission started
is recorded. A reaper, a small process of its own started with it, stops such a manager
once no isolated call has been submitted or ended for `IDLE_TIMEOUT` seconds, none
submitted is still waiting to start, and no task but Weft's own runs on it, then
leaves. A manager weft_compat did not start (`weft manager serve`, one a user started)
is never stopped by it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from typing import Any, Final

from weft.client import ManagerNotRunning, Task

from weft_compat._broker import PREFIX, get_broker
from weft_compat._client import get_client
from weft_compat._config import CONTEXT_ENV_VAR, context_path, current_settings
from weft_compat._lease import (
    HEARTBEAT_SECONDS,
    WorkerEntry,
    heartbeat,
    host_id,
    live_ids,
    register,
    unregister,
)
from weft_compat._process import spawn_detached

__all__ = [
    "ACTIVITY",
    "OUTSTANDING",
    "REAPER_REGISTRY",
    "STARTED_MANAGERS",
    "note_activity",
    "reap",
    "submit_isolated",
]

# The managers weft_compat's submissions started (one message each: the tid).
STARTED_MANAGERS: Final = f"{PREFIX}.managers"
# A message per isolated call submitted or ended (at most one a second per process):
# the newest says when the isolated lane was last used.
ACTIVITY: Final = f"{PREFIX}.isolated.activity"
# The Weft tid of each isolated call submitted and not yet seen ended: a submission the
# manager has not picked up yet is in no task list, and must keep its manager.
OUTSTANDING: Final = f"{PREFIX}.isolated.outstanding"
REAPER_REGISTRY: Final = f"{PREFIX}.reapers"
_REAPER_MODULE: Final = "weft_compat._manager"
# How long a process trusts its last look at whether a manager runs.
_TRUST_SECONDS: Final = 1.0
_LOOK_SECONDS: Final = 2.0
# How long a submitted call Weft shows no trace of still keeps its manager.
_UNSEEN_SECONDS: Final = 600.0
# Weft statuses after which a call runs no more.
_ENDED: Final = frozenset({"completed", "failed", "timeout", "cancelled", "killed", "expired"})

_lock = threading.Lock()
_seen_live: dict[tuple[int, str | None], float] = {}
# Whether, at that look, the context's manager was one weft_compat started (and reaps).
_reaped: dict[tuple[int, str | None], bool] = {}
_noted: dict[tuple[int, str | None], float] = {}


def submit_isolated(template: dict[str, Any], payload: dict[str, Any]) -> Task:
    """Submit one isolated call to Weft; a manager the submission starts is reaped later."""
    client = get_client()
    key = (os.getpid(), context_path())
    trusted = time.monotonic() - _seen_live.get(key, -_TRUST_SECONDS) < _TRUST_SECONDS
    before = set() if trusted else {manager.tid for manager in client.managers.list()}
    handle = client.submit(template, payload=payload)
    note_activity()
    if trusted:
        if _reaped.get(key):
            get_broker().write(OUTSTANDING, handle.tid)
        return handle
    started = set() if before else {m.tid for m in client.managers.list()} - before
    with _lock:
        broker = get_broker()
        known = set(broker.peek_many(STARTED_MANAGERS, 100, with_timestamps=False))
        for tid in sorted(started - known):
            broker.write(STARTED_MANAGERS, tid)
        reaped = bool(known or started)
        if reaped:
            # Only a reaper reads (and prunes) it: a manager a user runs has none.
            broker.write(OUTSTANDING, handle.tid)
        # Also when the manager was already there: a reaper that died (killed with the
        # rest of its host's processes) is replaced, as its managers are still recorded.
        if reaped and not live_ids([REAPER_REGISTRY]):
            _start_reaper()
    _seen_live[key] = time.monotonic()
    _reaped[key] = reaped
    return handle


def note_activity() -> None:
    """Say that the isolated lane is in use (at most once a second per process)."""
    key = (os.getpid(), context_path())
    now = time.monotonic()
    if now - _noted.get(key, -1.0) < 1.0:
        return
    _noted[key] = now
    get_broker().write(ACTIVITY, "")


def _last_activity() -> int:
    # The newest activity note (nanoseconds); older ones are deleted on the way.
    broker = get_broker()
    notes = [message_id for _, message_id in broker.peek_many(ACTIVITY, 1000, with_timestamps=True)]
    if len(notes) > 1:
        broker.delete_message_ids(ACTIVITY, notes[:-1])
    return notes[-1] if notes else 0


def _start_reaper() -> None:
    payload = {
        "tid": str(get_broker().generate_timestamp()),
        "context": context_path(),
        "idle_timeout": current_settings().IDLE_TIMEOUT,
    }
    pid = spawn_detached(_REAPER_MODULE, payload, log_name=f"weft_compat-reaper-{payload['tid']}")
    register(REAPER_REGISTRY, _entry(payload, pid))


def _entry(payload: dict[str, Any], pid: int) -> WorkerEntry:
    return WorkerEntry(
        tid=str(payload["tid"]),
        concurrency=0,
        autostarted=True,
        message_id=0,
        host=host_id(),
        pid=pid,
    )


def _started_managers() -> dict[str, int]:
    # tid → message id, of the managers weft_compat started and has not seen end.
    found = get_broker().peek_many(STARTED_MANAGERS, 100, with_timestamps=True)
    return dict(found)


def _quiet(tid: str) -> bool:
    # Whether nothing but Weft's own tasks (its services, the manager) runs on `tid`.
    for snapshot in get_client().tasks.list():
        metadata = snapshot.metadata if isinstance(snapshot.metadata, dict) else {}
        if (
            snapshot.tid != tid
            and not metadata.get("internal")
            and metadata.get("role") != "manager"
        ):
            return False
    return True


def _outstanding() -> bool:
    """Whether an isolated call submitted has not ended yet; forgets those that ended.

    One whose tid Weft has never shown is outstanding for `_UNSEEN_SECONDS` at most (a
    submission whose manager died before it picked it up).
    """
    broker = get_broker()
    client = get_client()
    ended = []
    waiting = False
    now = time.time_ns()
    for tid, message_id in broker.peek_many(OUTSTANDING, 1000, with_timestamps=True):
        snapshot = client.tasks.status(tid)
        if snapshot is None or snapshot.status == "unknown":
            if now - message_id < _UNSEEN_SECONDS * 10**9:
                waiting = True
            else:
                ended.append(message_id)
        elif snapshot.status in _ENDED:
            ended.append(message_id)
        else:
            waiting = True
    if ended:
        broker.delete_message_ids(OUTSTANDING, ended)
    return waiting


def _adopt_newer(stopped: str) -> None:
    # A submission that trusted its last look (for up to a second) may have started a
    # manager as this one stopped, without recording it: after that second, a quiet
    # manager newer than the stopped one is taken as this deployment's own.
    time.sleep(2 * _TRUST_SECONDS)
    broker = get_broker()
    known = set(broker.peek_many(STARTED_MANAGERS, 100, with_timestamps=False))
    for manager in get_client().managers.list():
        if manager.tid in known or int(manager.tid) <= int(stopped):
            continue
        snapshot = get_client().task(manager.tid).snapshot()
        metadata = snapshot.metadata if snapshot and isinstance(snapshot.metadata, dict) else {}
        if metadata.get("idle_timeout") == 0 and not metadata.get("foreground_serve"):
            broker.write(STARTED_MANAGERS, manager.tid)


def reap(idle_timeout: float, *, entry: WorkerEntry | None = None) -> None:
    """Stop the managers weft_compat started once idle for `idle_timeout`; then return.

    Returns when none of them runs any more (a manager that ends on its own is forgotten).
    """
    last_busy = time.monotonic()
    last_heartbeat = time.monotonic()
    client = get_client()
    while True:
        ours = _started_managers()
        live = {manager.tid for manager in client.managers.list()}
        gone = [message_id for tid, message_id in ours.items() if tid not in live]
        if gone:
            get_broker().delete_message_ids(STARTED_MANAGERS, gone)
        running = [tid for tid in ours if tid in live]
        if not running:
            return
        used_ago = (time.time_ns() - _last_activity()) / 1e9
        if used_ago < idle_timeout or not all(_quiet(tid) for tid in running) or _outstanding():
            last_busy = time.monotonic()
        elif idle_timeout and time.monotonic() - last_busy >= idle_timeout:
            for tid in running:
                with contextlib.suppress(ManagerNotRunning):
                    client.managers.stop(tid)
            _adopt_newer(max(running, key=int))
            last_busy = time.monotonic()
        if entry is not None and time.monotonic() - last_heartbeat >= HEARTBEAT_SECONDS:
            entry = heartbeat(REAPER_REGISTRY, entry)
            last_heartbeat = time.monotonic()
        time.sleep(_LOOK_SECONDS)


def _serve(payload: dict[str, Any]) -> int:
    if payload.get("context"):
        os.environ[CONTEXT_ENV_VAR] = str(payload["context"])
    entry = heartbeat(REAPER_REGISTRY, _entry(payload, os.getpid()))
    try:
        reap(float(payload.get("idle_timeout") or 0), entry=entry)
    finally:
        unregister(REAPER_REGISTRY, entry.tid)
    return 0


if __name__ == "__main__":
    raise SystemExit(_serve(json.loads(sys.argv[1])))
