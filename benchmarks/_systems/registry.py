"""The systems `benchmarks.runtimes` compares, in the order the report lists them."""

from __future__ import annotations

from typing import Final

from benchmarks._systems._base import System
from benchmarks._systems.celery_brokers import CeleryRabbitMQ, CeleryRedis, CeleryRedisDurable
from benchmarks._systems.django_db import DjangoDbWorker
from benchmarks._systems.dramatiq_redis import DramatiqRedis
from benchmarks._systems.huey_sqlite import HueySqlite
from benchmarks._systems.pooled import PooledLane
from benchmarks._systems.pooled_pg import PooledPostgres, PooledPostgresHosts

REFERENCE: Final = PooledLane.name
SYSTEMS: Final[dict[str, System]] = {
    system.name: system
    for system in (
        PooledLane(),
        HueySqlite(),
        CeleryRedisDurable(),
        DjangoDbWorker(),
        CeleryRedis(),
        DramatiqRedis(),
        CeleryRabbitMQ(),
        PooledPostgres(),
        PooledPostgresHosts(),
    )
}
