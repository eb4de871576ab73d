"""The Celery side of `benchmarks.pool_throughput`: one trivial task, Redis broker and results.

The benchmark starts a worker on it (`python -m celery -A benchmarks._celery_app worker`)
and sends it calls. Stock Celery settings (JSON, prefetch multiplier 4, early acks);
the Redis URL comes from `WEFT_COMPAT_BENCH_REDIS`, by default database 15 of the local
Redis, so the benchmark's keys stay out of database 0.
"""

from __future__ import annotations

import os
from typing import Final

from celery import Celery

REDIS_URL_ENV_VAR: Final = "WEFT_COMPAT_BENCH_REDIS"
REDIS_URL: Final = os.environ.get(REDIS_URL_ENV_VAR, "redis://127.0.0.1:6379/15")
QUEUE: Final = "weft_compat_bench"

app = Celery("weft_compat_bench", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_default_queue=QUEUE,
    result_expires=600,
    broker_connection_retry_on_startup=True,
)


def _noop(value: int) -> int:
    """Return the argument: the same trivial body as the Weft benchmark tasks."""
    return value


# Registered by call rather than as a decorator: Celery has no type information.
noop = app.task(name="bench.celery_noop")(_noop)


def _total(values: list[int]) -> int:
    """Sum a chord header's results: the workflow benchmark's callback."""
    return sum(values)


def _increment(value: int) -> int:
    """Add one: each link of the workflow benchmark's chain."""
    return value + 1


total = app.task(name="bench.celery_total")(_total)
increment = app.task(name="bench.celery_increment")(_increment)
