"""Which pool masters serve a queue, and starting one when none does.

A pool master is a process of its own (`python -m weft_compat.pool.master`, or
`weft-compat worker` in the foreground) with an entry in its queue's registry, renewed
by a lease (`_lease`). `ensure_pool` is what `enqueue` calls: like Weft's manager
autostart, the first call into a queue with no live master starts one on this host,
loading what the starting process has registered (`_worker_config`). A call of a task
an autostarted pool does not load has that pool replaced by one that does (the old one
finishes its running calls and leaves). A process re-checks a queue at most every few
seconds, so the check costs nothing per call.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Final

from weft_compat._broker import POOL_KEY_SEPARATOR, get_broker, registry_queue
from weft_compat._config import DEFAULT_PREFETCH_MULTIPLIER, context_path, current_settings
from weft_compat._lease import WorkerEntry, entries_in, host_id, is_live, live_ids, register
from weft_compat._process import spawn_detached
from weft_compat._worker_config import WorkerConfig, deployment_config
from weft_compat.pool._control import request_shutdown

__all__ = [
    "MASTER_MODULE",
    "MasterEntry",
    "ensure_pool",
    "live_master_ids",
    "live_masters",
    "master_payload",
    "registered",
    "reported_running",
    "start_master",
]

MASTER_MODULE: Final = "weft_compat.pool.master"
_RECHECK_SECONDS: Final = 5.0
# A dead master's entry is kept this long after its last renewal (several orphan scans).
_FORGET_DEAD_SECONDS: Final = 60.0

_lock = threading.Lock()
_verified: dict[tuple[int, str | None, str], tuple[float, WorkerConfig]] = {}

# A pool master's registry entry, under the name the pool package exports.
MasterEntry = WorkerEntry


def registered(queue: str) -> list[MasterEntry]:
    """Every registry entry of the pool key `queue`, oldest renewal first, live or not."""
    return entries_in(registry_queue(queue))


def live_masters(queue: str) -> list[MasterEntry]:
    """The live masters of `queue` (leaving ones included); long-dead entries are dropped.

    A dead master's entry stays a while: the calls it last reported running tell the
    master that releases its calls which one was delivered (`reported_running`).
    """
    live: list[MasterEntry] = []
    forgotten: list[int] = []
    now = time.time_ns()
    for entry in registered(queue):
        if is_live(entry, now_ns=now):
            live.append(entry)
        elif now - entry.message_id > _FORGET_DEAD_SECONDS * 10**9:
            forgotten.append(entry.message_id)
    if forgotten:
        get_broker().delete_message_ids(registry_queue(queue), forgotten)
    return live


def live_master_ids() -> set[str]:
    """The ids of every live pool master of the context, whatever its queue."""
    prefix = registry_queue("")
    return live_ids(get_broker().list_queues(prefix=prefix))


def reported_running() -> dict[str, tuple[int, ...]]:
    """The calls each registered master, live or dead, last reported running, by tid."""
    broker = get_broker()
    return {
        entry.tid: entry.running
        for registry in broker.list_queues(prefix=registry_queue(""))
        for entry in entries_in(registry)
    }


def keys_of(queue: str) -> list[str]:
    """The pool keys registered for `queue`, whatever Django settings they load."""
    prefix = registry_queue(queue)
    return [
        name.removeprefix(registry_queue(""))
        for name in get_broker().list_queues(prefix=prefix)
        if name == prefix or name.startswith(f"{prefix}{POOL_KEY_SEPARATOR}")
    ]


def master_payload(
    queue: str,
    concurrency: int,
    *,
    autostarted: bool,
    prefetch_multiplier: int | None = None,
    config: WorkerConfig | None = None,
) -> dict[str, Any]:
    """What a master of the pool key `queue` is started with (its configuration).

    The pool loads `config` (default: what this process has registered).
    """
    config = config if config is not None else deployment_config()
    settings_module = queue.partition(POOL_KEY_SEPARATOR)[2] or None
    if settings_module is not None:
        config = config.union(WorkerConfig(settings=frozenset({settings_module})))
    return {
        "tid": str(get_broker().generate_timestamp()),
        "queue": queue,
        "concurrency": concurrency,
        "prefetch_multiplier": prefetch_multiplier or DEFAULT_PREFETCH_MULTIPLIER,
        "autostarted": autostarted,
        "context": context_path(),
        "settings_module": settings_module,
        "config": config.to_data(),
        "idle_timeout": current_settings().IDLE_TIMEOUT,
    }


def start_master(
    queue: str,
    concurrency: int,
    *,
    autostarted: bool,
    prefetch_multiplier: int | None = None,
    config: WorkerConfig | None = None,
) -> str:
    """Start a detached pool master for the pool key `queue`; returns its id.

    Its entry is registered here at once (the master renews it from then on), so no
    other enqueue starts a second master meanwhile.
    """
    payload = master_payload(
        queue,
        concurrency,
        autostarted=autostarted,
        prefetch_multiplier=prefetch_multiplier,
        config=config,
    )
    pid = spawn_detached(MASTER_MODULE, payload, log_name=f"weft_compat-pool-{payload['tid']}")
    register(registry_queue(queue), entry_of(payload, pid))
    return str(payload["tid"])


def entry_of(payload: dict[str, Any], pid: int) -> MasterEntry:
    """The registry entry of the master started with `payload`, as process `pid`."""
    return MasterEntry(
        tid=str(payload["tid"]),
        concurrency=int(payload["concurrency"]),
        autostarted=bool(payload["autostarted"]),
        message_id=0,
        prefetch_multiplier=int(payload["prefetch_multiplier"]),
        config=WorkerConfig.from_data(payload["config"]),
        host=host_id(),
        pid=pid,
    )


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
    live = [entry for entry in live_masters(queue) if not entry.leaving]
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
