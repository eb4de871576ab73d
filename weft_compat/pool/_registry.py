"""Which pool masters serve a queue, and starting one when none does.

A pool master is a long-lived Weft function task (`weft_compat.pool.master:serve`).
Whoever starts one writes an entry (`{"tid", "concurrency", "prefetch_multiplier",
"autostarted", "config"}`) to the queue's registry; entries of masters Weft no longer
reports as live are dropped by whoever notices. `ensure_pool` is what `enqueue` calls:
like Weft's manager autostart, the first call into a queue with no live master starts
one, loading what the starting process has registered (`_worker_config`). A call of a
task an autostarted pool does not load has that pool replaced by one that does (the
old one finishes its running calls and leaves). A process re-checks a queue at most
every few seconds, so the check costs nothing per call.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

from weft_compat._broker import POOL_KEY_SEPARATOR, get_broker, registry_queue
from weft_compat._client import get_client
from weft_compat._config import DEFAULT_PREFETCH_MULTIPLIER, context_path, current_settings
from weft_compat._worker_config import WorkerConfig, deployment_config
from weft_compat.pool._control import request_shutdown

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
_verified: dict[tuple[int, str | None, str], tuple[float, WorkerConfig]] = {}


@dataclass(frozen=True, slots=True)
class MasterEntry:
    """One registered pool master of a queue."""

    tid: str
    concurrency: int
    autostarted: bool
    message_id: int
    prefetch_multiplier: int = DEFAULT_PREFETCH_MULTIPLIER
    config: WorkerConfig = field(default_factory=WorkerConfig)


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
                config=WorkerConfig.from_data(data.get("config")),
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
    config: WorkerConfig | None = None,
) -> None:
    """Add an entry for the task `tid` to the registry queue `registry`."""
    entry = {
        "tid": tid,
        "concurrency": concurrency,
        "prefetch_multiplier": prefetch_multiplier,
        "autostarted": autostarted,
        "config": (config or WorkerConfig()).to_data(),
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
    config: WorkerConfig | None = None,
) -> str:
    """Submit a pool master for the pool key `queue`, register it, and return its tid.

    The pool loads `config` (default: what this process has registered).
    """
    prefetch = prefetch_multiplier or DEFAULT_PREFETCH_MULTIPLIER
    config = config if config is not None else deployment_config()
    settings_module = queue.partition(POOL_KEY_SEPARATOR)[2] or None
    if settings_module is not None:
        config = config.union(WorkerConfig(settings=frozenset({settings_module})))
    payload: dict[str, Any] = {
        "queue": queue,
        "concurrency": concurrency,
        "prefetch_multiplier": prefetch,
        "autostarted": autostarted,
        "context": context_path(),
        "settings_module": settings_module,
        "config": config.to_data(),
        "idle_timeout": current_settings().IDLE_TIMEOUT,
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
        config=config,
    )
    return handle.tid


def ensure_pool(
    queue: str,
    concurrency: int,
    prefetch_multiplier: int | None = None,
    *,
    need: WorkerConfig | None = None,
    offer: WorkerConfig | None = None,
) -> None:
    """Make sure a live pool of `queue` loads `need` (checked every few seconds).

    With no live pool, one is started loading `offer` (default: what this process has
    registered) and `need`; autostarted pools that do not load `need` are replaced.
    """
    need = need or WorkerConfig()
    key = (os.getpid(), context_path(), queue)
    seen = _verified.get(key)
    if seen is not None and time.monotonic() - seen[0] < _RECHECK_SECONDS and seen[1].covers(need):
        return
    with _lock:
        seen = _verified.get(key)
        fresh = seen is not None and time.monotonic() - seen[0] < _RECHECK_SECONDS
        if fresh and seen is not None and seen[1].covers(need):
            return
        served = _serve(queue, concurrency, prefetch_multiplier, need, offer)
        _verified[key] = (time.monotonic(), served)


def _serve(
    queue: str,
    concurrency: int,
    prefetch: int | None,
    need: WorkerConfig,
    offer: WorkerConfig | None,
) -> WorkerConfig:
    # What the live pools of `queue` load, once one of them loads `need`.
    live = live_masters(queue)
    served = WorkerConfig()
    for entry in live:
        served = served.union(entry.config)
    if live and any(entry.config.covers(need) for entry in live):
        return served
    explicit = [entry for entry in live if not entry.autostarted]
    if explicit:
        # A pool someone started on purpose is theirs to configure: calls it cannot
        # resolve fail there with TaskNotRegistered, as Celery's worker would.
        return served.union(need)
    config = (offer if offer is not None else deployment_config()).union(need).union(served)
    start_master(queue, concurrency, autostarted=True, prefetch_multiplier=prefetch, config=config)
    for entry in live:
        request_shutdown(entry.tid)
    return config


def forget_verified() -> None:
    """Make the next `ensure_pool` look at the registry again (after stopping pools)."""
    _verified.clear()
