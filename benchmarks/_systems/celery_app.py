"""Celery's side of `benchmarks.runtimes`: one app whose broker and backend the round sets.

The broker URL, result backend, queue and whether acks are late come from the
environment, so one app serves the three Celery systems (Redis, RabbitMQ, durable
Redis). Otherwise stock Celery settings: JSON, prefetch multiplier 4, durable queues
and persistent messages on AMQP.
"""

from __future__ import annotations

import os
from typing import Final

from celery import Celery  # type: ignore[import-untyped]

from benchmarks._systems import _env

QUEUE: Final = os.environ[_env.CELERY_QUEUE]

app = Celery(
    "weft_compat_bench_runtimes",
    broker=os.environ[_env.CELERY_BROKER],
    backend=os.environ[_env.CELERY_BACKEND],
)
app.conf.update(
    task_default_queue=QUEUE,
    task_acks_late=os.environ.get(_env.CELERY_ACKS_LATE) == "1",
    result_expires=600,
    broker_connection_retry_on_startup=True,
)


def _add(x: int, y: int) -> int:
    """Add two numbers: the body every system in the benchmark runs."""
    return x + y


# Registered by call rather than as a decorator: Celery has no type information.
add = app.task(name="benchmarks.runtimes.add")(_add)
