"""Which movers run, and starting one when deferred work exists and none does.

A mover is a process of its own (`python -m weft_compat.due.mover`), registered in
`weft_compat.movers` with a lease, the way pool masters are registered per queue. Deferring a call
(a countdown, an eta or a retry) starts one if none is live, checked at most every few
seconds per process; pool masters (those `weft-compat worker` starts too) and handles
reading a call that waits to be due check as well, so a mover that died is replaced
even when nothing new is deferred.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Final

from weft_compat._broker import (
    DUE_QUEUE,
    MOVER_REGISTRY,
    claimed_prefix,
    control_queue,
    get_broker,
)
from weft_compat._config import context_path, current_settings
from weft_compat._lease import WorkerEntry, entries_in, host_id, is_live, live_ids, register
from weft_compat._process import spawn_detached
from weft_compat._worker_config import WorkerConfig, deployment_config
from weft_compat.beat._published import read_published

__all__ = [
    "MOVER_MODULE",
    "ensure_mover",
    "live_movers",
    "mover_entry",
    "start_mover",
    "stop_movers",
]

MOVER_MODULE: Final = "weft_compat.due.mover"
_RECHECK_SECONDS: Final = 5.0

_lock = threading.Lock()
_verified: dict[tuple[int, str | None], tuple[float, WorkerConfig]] = {}


def live_movers() -> list[WorkerEntry]:
    """The live movers (leaving ones included); entries of ended movers are dropped."""
    live = []
    for entry in entries_in(MOVER_REGISTRY):
        if is_live(entry):
            live.append(entry)
        else:
            get_broker().delete_message_ids(MOVER_REGISTRY, [entry.message_id])
    return live


def mover_entry(payload: dict[str, Any], pid: int) -> WorkerEntry:
    """The registry entry of the mover started with `payload`, as process `pid`."""
    return WorkerEntry(
        tid=str(payload["tid"]),
        concurrency=0,
        autostarted=bool(payload.get("autostarted")),
        message_id=0,
        config=WorkerConfig.from_data(payload.get("config")),
        host=host_id(),
        pid=pid,
    )


def start_mover(*, autostarted: bool = False, config: WorkerConfig | None = None) -> str:
    """Start a detached mover, register it, and return its id.

    The mover submits deferred calls with `config` (default: what this process has
    registered) as what their workers may load.
    """
    config = config if config is not None else deployment_config()
    payload: dict[str, Any] = {
        "tid": str(get_broker().generate_timestamp()),
        "context": context_path(),
        "config": config.to_data(),
        "autostarted": autostarted,
        "idle_timeout": current_settings().IDLE_TIMEOUT,
    }
    pid = spawn_detached(MOVER_MODULE, payload, log_name=f"weft_compat-mover-{payload['tid']}")
    register(MOVER_REGISTRY, mover_entry(payload, pid))
    return str(payload["tid"])


def ensure_mover(
    *,
    only_if_waiting: bool = False,
    need: WorkerConfig | None = None,
    offer: WorkerConfig | None = None,
) -> None:
    """Make sure a live mover submits with `need` (checked every few seconds per process).

    With no live mover one is started, submitting with `offer` (default: what this
    process has registered) and `need`; with `only_if_waiting`, only when deferred work
    waits. Movers whose configuration lacks `need` are replaced.
    """
    need = need or WorkerConfig()
    key = (os.getpid(), context_path())
    seen = _verified.get(key)
    if seen is not None and time.monotonic() - seen[0] < _RECHECK_SECONDS and seen[1].covers(need):
        return
    with _lock:
        seen = _verified.get(key)
        fresh = seen is not None and time.monotonic() - seen[0] < _RECHECK_SECONDS
        if fresh and seen is not None and seen[1].covers(need):
            return
        live = [entry for entry in live_movers() if not entry.leaving]
        served = WorkerConfig()
        for entry in live:
            served = served.union(entry.config)
        if not any(entry.config.covers(need) for entry in live) and (
            live or not only_if_waiting or _work_waits()
        ):
            served = (offer if offer is not None else deployment_config()).union(need, served)
            start_mover(autostarted=True, config=served)
            for entry in live:
                get_broker().write(control_queue(entry.tid), json.dumps({"shutdown": True}))
        _verified[key] = (time.monotonic(), served)


def _work_waits() -> bool:
    # Calls waiting to be due, or claimed by a mover that may have died before it
    # submitted them (the next mover puts those back), or a periodic schedule to tick.
    broker = get_broker()
    if broker.peek_one(DUE_QUEUE, with_timestamps=False) is not None:
        return True
    schedule = read_published()
    if schedule is not None and schedule.entries:
        return True
    return any(
        broker.peek_one(queue, with_timestamps=False) is not None
        for queue in broker.list_queues(prefix=claimed_prefix())
    )


def stop_movers(*, timeout: float | None = 30.0) -> list[str]:
    """Ask every mover to exit and wait up to `timeout` seconds; returns their tids.

    Deferred calls stay in the due queue; the next mover submits them.
    """
    entries = entries_in(MOVER_REGISTRY)
    for entry in entries:
        get_broker().write(control_queue(entry.tid), json.dumps({"shutdown": True}))
    _verified.clear()
    deadline = None if timeout is None else time.monotonic() + timeout
    waiting = list(entries)
    while waiting:
        serving = live_ids([MOVER_REGISTRY])
        waiting = [entry for entry in waiting if entry.tid in serving]
        if waiting and deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(
                f"movers {[entry.tid for entry in waiting]} did not stop within {timeout!r}s"
            )
        if waiting:
            time.sleep(0.1)
    for entry in entries:
        get_broker().delete_message_ids(MOVER_REGISTRY, [entry.message_id])
    return [entry.tid for entry in entries]
