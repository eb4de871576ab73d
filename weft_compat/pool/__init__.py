"""The pooled lane: Celery's worker model built from Weft's parts.

Each queue's pool is a master process that runs `concurrency` pool processes on its
host; each process claims calls from the queue's
broker queue (a few at once under load) and runs them one at a time. Pools start on
the first `enqueue` into their queue, or explicitly with `start_pool` (what
`weft-compat worker` runs). `stop_pool` shuts them down cleanly: running calls finish,
waiting calls stay queued for the next pool.
"""

from __future__ import annotations

import os
import time

from weft_compat._broker import get_broker, pool_key, registry_queue
from weft_compat._config import current_settings
from weft_compat.exceptions import InvalidOptionValue
from weft_compat.pool._control import request_shutdown
from weft_compat.pool._registry import (
    MasterEntry,
    forget_verified,
    keys_of,
    live_master_ids,
    live_masters,
    registered,
    start_master,
)

__all__ = ["MasterEntry", "pool_queues", "pools", "start_pool", "stop_all_pools", "stop_pool"]


def start_pool(
    queue: str | None = None,
    concurrency: int | None = None,
    *,
    prefetch_multiplier: int | None = None,
) -> str:
    """Start a pool master for `queue` (default: `DEFAULT_QUEUE`) and return its tid.

    `concurrency` and `prefetch_multiplier` default to the queue's `QUEUES` setting
    (else the CPU count, and 4).
    """
    name, config = current_settings().queue_config(queue)
    for option, value in (
        ("concurrency", concurrency),
        ("prefetch_multiplier", prefetch_multiplier),
    ):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise InvalidOptionValue(f"{option}={value!r} must be a positive integer such as 2")
    key = pool_key(name, os.environ.get("DJANGO_SETTINGS_MODULE"))
    return start_master(
        key,
        concurrency or config.concurrency,
        autostarted=False,
        prefetch_multiplier=prefetch_multiplier or config.prefetch_multiplier,
    )


def pools(queue: str | None = None) -> list[MasterEntry]:
    """The live pool masters of `queue` (default: `DEFAULT_QUEUE`)."""
    name, _ = current_settings().queue_config(queue)
    return [entry for key in keys_of(name) for entry in live_masters(key)]


def stop_pool(queue: str | None = None, *, timeout: float | None = 30.0) -> list[str]:
    """Shut down every pool of `queue`: running calls finish, waiting calls stay queued.

    Waits up to `timeout` seconds (None: for ever) for the masters to exit and returns
    their tids; raises `TimeoutError` naming those still running.
    """
    name, _ = current_settings().queue_config(queue)
    masters = [entry for key in keys_of(name) for entry in registered(key)]
    return _stop(f"of queue {name!r}", masters, timeout)


def pool_queues() -> list[str]:
    """Every pool key with a registered master (live or not yet cleaned up)."""
    prefix = registry_queue("")
    return [name.removeprefix(prefix) for name in get_broker().list_queues(prefix=prefix)]


def stop_all_pools(*, timeout: float | None = 30.0) -> list[str]:
    """`stop_pool` for every queue that has a pool, all at once; returns their tids."""
    masters = [entry for queue in pool_queues() for entry in registered(queue)]
    return _stop("of the context", masters, timeout)


def _stop(where: str, masters: list[MasterEntry], timeout: float | None) -> list[str]:
    for entry in masters:
        request_shutdown(entry.tid)
    forget_verified()
    deadline = None if timeout is None else time.monotonic() + timeout
    waiting = list(masters)
    while waiting:
        serving = live_master_ids()
        waiting = [entry for entry in waiting if entry.tid in serving]
        if waiting and deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(
                f"pool masters {[entry.tid for entry in waiting]} {where} did not stop "
                f"within {timeout!r}s; "
                "their running calls are still going (stop them with WeftSubmission.kill)"
            )
        if waiting:
            time.sleep(0.1)
    return [entry.tid for entry in masters]
