"""Dramatiq's side of `benchmarks.runtimes`: a Redis broker, the Results middleware, the task.

Broker and result backend are the same Redis database, whose URL comes from the
environment (set per round by the benchmark); the queue name too, so each round starts
on an empty queue.
"""

from __future__ import annotations

import os
from typing import Final

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend

from benchmarks._systems import _env

REDIS_URL: Final = os.environ[_env.DRAMATIQ_REDIS_URL]
QUEUE: Final = os.environ[_env.DRAMATIQ_QUEUE]

broker = RedisBroker(url=REDIS_URL)  # type: ignore[no-untyped-call]
broker.add_middleware(Results(backend=RedisBackend(url=REDIS_URL)))  # type: ignore[no-untyped-call]
dramatiq.set_broker(broker)


def _add(x: int, y: int) -> int:
    """Add two numbers: the body every system in the benchmark runs."""
    return x + y


# Registered by call: Dramatiq's decorator carries no type information.
add = dramatiq.actor(actor_name="benchmarks_runtimes_add", queue_name=QUEUE, store_results=True)(
    _add
)
