"""Which pool masters serve a queue, and starting one when none does.

A pool master is a long-lived Weft function task (`weft_compat.pool.master:serve`).
Whoever starts one writes an entry (`{"tid", "concurrency", "prefetch_multiplier",
"autostarted"}`) to the queue's registry; entries of masters Weft no longer reports as
live are dropped by whoever notices. `ensure_pool` is what `enqueue` calls: like
Weft's manager autostart, the first call into a queue with no live master starts one.
A process re-checks a queue at most every few seconds, so the check costs nothing per
call.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Final

from weft_compat._broker import POOL_KEY_SEPARATOR, get_broker, registry_queue
from weft_compat._client import get_client
from weft_compat._config import DEFAULT_PREFETCH_MULTIPLIER, context_path

__all__ = [
    "MASTER_TARGET",
    "MasterEntry",
    "ensure_pool",
    "entries_in",
    "is_live",
    "live_masters",
    "register",
    "start_master",
]

MASTER_TARGET: Final = "weft_compat.pool.master:serve"
ENDED_STATUSES: Final = frozenset({"completed", "failed", "timeout", "cancelled", "killed"})
_RECHECK_SECONDS: Final = 5.0
_STARTUP_GRACE_NS: Final = 60 * 10**9

_lock = threading.Lock()
_verified: dict[tuple[int, str | None, str], float] = {}


@dataclass(frozen=True, slots=True)
class MasterEntry:
    """One registered pool master of a queue."""

    tid: str
    concurrency: int
    autostarted: bool
    message_id: int
    prefetch_multiplier: int = DEFAULT_PREFETCH_MULTIPLIER


def is_live(tid: str, *, registered_at: int | None = None) -> bool:
    """Whether Weft reports the task `tid` as not yet ended.

    Weft may not know a task for a moment after its submission; a master registered
    (`registered_at`, a broker message id: nanoseconds since the epoch) less than
    `_STARTUP_GRACE_NS` ago counts as live until Weft reports on it.
    """
    snapshot = get_client().task(tid).snapshot()
    if snapshot is None or snapshot.status == "unknown":
        return registered_at is not None and time.time_ns() - registered_at < _STARTUP_GRACE_NS
    return snapshot.status not in ENDED_STATUSES


def registered(queue: str) -> list[MasterEntry]:
    """Every registry entry of `queue`, oldest first, live or not."""
    return entries_in(registry_queue(queue))


def entries_in(registry: str) -> list[MasterEntry]:
    """Every entry of the registry queue `registry` (pools' or movers'), oldest first."""
    entries = get_broker().peek_many(registry, 1000, with_timestamps=True)
    found = []
    for body, message_id in entries:
        data = json.loads(body)
        found.append(
            MasterEntry(
                tid=str(data["tid"]),
                concurrency=int(data["concurrency"]),
                autostarted=bool(data["autostarted"]),
                message_id=message_id,
                prefetch_multiplier=int(
                    data.get("prefetch_multiplier", DEFAULT_PREFETCH_MULTIPLIER)
                ),
            )
        )
    return found


def unregister(queue: str, entry: MasterEntry) -> None:
    """Drop `entry` from the registry of `queue`."""
    get_broker().delete_message_ids(registry_queue(queue), [entry.message_id])


def register(
    registry: str,
    tid: str,
    concurrency: int,
    *,
    autostarted: bool,
    prefetch_multiplier: int = DEFAULT_PREFETCH_MULTIPLIER,
) -> None:
    """Add an entry for the task `tid` to the registry queue `registry`."""
    entry = {
        "tid": tid,
        "concurrency": concurrency,
        "prefetch_multiplier": prefetch_multiplier,
        "autostarted": autostarted,
    }
    get_broker().write(registry, json.dumps(entry))


def live_masters(queue: str) -> list[MasterEntry]:
    """The masters of `queue` Weft reports live; dead entries are dropped on the way."""
    live = []
    for entry in registered(queue):
        if is_live(entry.tid, registered_at=entry.message_id):
            live.append(entry)
        else:
            unregister(queue, entry)
    return live


def keys_of(queue: str) -> list[str]:
    """The pool keys registered for `queue`, whatever Django settings they load."""
    prefix = registry_queue(queue)
    return [
        name.removeprefix(registry_queue(""))
        for name in get_broker().list_queues(prefix=prefix)
        if name == prefix or name.startswith(f"{prefix}{POOL_KEY_SEPARATOR}")
    ]


def start_master(
    queue: str,
    concurrency: int,
    *,
    autostarted: bool,
    prefetch_multiplier: int | None = None,
) -> str:
    """Submit a pool master for the pool key `queue`, register it, and return its tid."""
    prefetch = prefetch_multiplier or DEFAULT_PREFETCH_MULTIPLIER
    payload: dict[str, Any] = {
        "queue": queue,
        "concurrency": concurrency,
        "prefetch_multiplier": prefetch,
        "autostarted": autostarted,
        "context": context_path(),
        "settings_module": queue.partition(POOL_KEY_SEPARATOR)[2] or None,
    }
    template = {
        "name": f"weft_compat.pool:{queue}",
        "spec": {"type": "function", "function_target": MASTER_TARGET},
        "metadata": {"weft_compat.pool": queue, "weft_compat.concurrency": concurrency},
    }
    handle = get_client().submit(template, payload={"payload": payload})
    register(
        registry_queue(queue),
        handle.tid,
        concurrency,
        autostarted=autostarted,
        prefetch_multiplier=prefetch,
    )
    return handle.tid


def ensure_pool(queue: str, concurrency: int, prefetch_multiplier: int | None = None) -> None:
    """Start a pool master for `queue` unless one is live (checked every few seconds)."""
    key = (os.getpid(), context_path(), queue)
    now = time.monotonic()
    if now - _verified.get(key, -_RECHECK_SECONDS) < _RECHECK_SECONDS:
        return
    with _lock:
        if time.monotonic() - _verified.get(key, -_RECHECK_SECONDS) < _RECHECK_SECONDS:
            return
        if not live_masters(queue):
            start_master(
                queue, concurrency, autostarted=True, prefetch_multiplier=prefetch_multiplier
            )
        _verified[key] = time.monotonic()


def forget_verified() -> None:
    """Make the next `ensure_pool` look at the registry again (after stopping pools)."""
    _verified.clear()
