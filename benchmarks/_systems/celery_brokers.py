"""Celery 5 with a prefork worker `-c 2` on three brokers: Redis, RabbitMQ, durable Redis.

- `celery-redis`: the machine's Redis (nothing on disk), database 14, as broker and result
  backend; early acks (Celery's default).
- `celery-rabbitmq`: the machine's RabbitMQ as broker, results over `rpc://` (replies on
  AMQP, transient); Celery declares the queue durable and sends persistent messages, but
  acks early and uses no publisher confirms.
- `celery-redis-durable`: a `redis-server` of the benchmark's own with `appendfsync
  always` as broker and result backend, and `task_acks_late=True`: Celery's durable pair.

The worker runs without gossip, mingle and heartbeat (cluster events that no other
system here has); results are read with `AsyncResult.get()`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar, Final

from kombu.connection import Connection

from benchmarks._runtimes.procs import listening_pid
from benchmarks._runtimes.spawn import Spawned, spawn, stop
from benchmarks._systems import _env, _redis
from benchmarks._systems._base import RESULT_TIMEOUT, Started, System

CONCURRENCY: Final = 2
APP: Final = "benchmarks._systems.celery_app"
REDIS_URL: Final = _redis.url(database=14)
RABBITMQ_URL: Final = "amqp://guest:guest@127.0.0.1:5672//"
RABBITMQ_PORT: Final = 5672


class CeleryClient:
    """`apply_async` into the round's queue; reads each value with `AsyncResult.get()`."""

    def __init__(self) -> None:
        from benchmarks._systems.celery_app import QUEUE, add

        self._task: Any = add
        self._queue = QUEUE

    def submit(self, x: int, y: int) -> object:
        return self._task.apply_async((x, y), queue=self._queue)

    def wait(self, handle: object) -> object:
        result: Any = handle
        return result.get(timeout=RESULT_TIMEOUT)

    def facts(self) -> dict[str, str]:
        from importlib.metadata import version

        from benchmarks._systems.celery_app import app

        facts = {"celery": version("celery"), "kombu": version("kombu")}
        facts["acks_late"] = str(app.conf.task_acks_late)
        if app.conf.broker_url.startswith("amqp"):
            queue = app.amqp.queues[self._queue]
            facts["queue durable"] = str(queue.durable)
            facts["delivery_mode"] = str(app.conf.task_default_delivery_mode)
            facts["result_persistent"] = str(app.conf.result_persistent)
            with app.connection() as connection:
                connection.connect()
                properties = connection.connection.server_properties
                facts["rabbitmq"] = str(properties.get("version", "?"))
        return facts


def worker_command(queue: str, node: str) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", APP, "worker",
        "-c", str(CONCURRENCY), "--pool", "prefork", "-Q", queue,
        "--loglevel", "warning",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"{node}@%h",
    ]  # fmt: skip


class _CelerySystem(System):
    acks_late: ClassVar[bool] = False

    def start_worker(
        self, workdir: Path, environment: dict[str, str], broker: str, backend: str
    ) -> tuple[Spawned, dict[str, str]]:
        queue = f"bench_{workdir.name}"
        variables = {
            _env.CELERY_BROKER: broker,
            _env.CELERY_BACKEND: backend,
            _env.CELERY_QUEUE: queue,
            _env.CELERY_ACKS_LATE: "1" if self.acks_late else "0",
        }
        worker = spawn("celery worker", worker_command(queue, self.name),
                       environment={**environment, **variables},
                       log=workdir / "celery.log")  # fmt: skip
        return worker, variables

    def connect(self) -> CeleryClient:
        return CeleryClient()


class CeleryRedis(_CelerySystem):
    name: ClassVar[str] = "celery-redis"
    label: ClassVar[str] = "Celery + Redis"
    durable: ClassVar[bool] = False
    counted: ClassVar[str] = (
        "the celery worker and its prefork children, plus the machine's redis-server "
        "(found by its port)"
    )

    def unavailable(self) -> str | None:
        return _redis.problem(REDIS_URL)

    def settings(self) -> str:
        return (
            f"celery worker -c {CONCURRENCY} prefork, broker + result backend the machine's "
            f"Redis {_redis.server_version(REDIS_URL)} (no persistence), db 14; early acks"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        _redis.flush(REDIS_URL)
        worker, variables = self.start_worker(workdir, environment, REDIS_URL, REDIS_URL)
        server = listening_pid(_redis.MACHINE_PORT)
        return Started([worker], [server] if server else [], variables)

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        super().stop(started, workdir, environment)
        _redis.flush(REDIS_URL)


class CeleryRabbitMQ(_CelerySystem):
    name: ClassVar[str] = "celery-rabbitmq"
    label: ClassVar[str] = "Celery + RabbitMQ"
    durable: ClassVar[bool] = False
    counted: ClassVar[str] = (
        "the celery worker and its prefork children, plus the machine's RabbitMQ server "
        "(beam.smp, found by its port, and its child processes)"
    )

    def unavailable(self) -> str | None:
        try:
            with Connection(RABBITMQ_URL, connect_timeout=2) as connection:  # type: ignore[no-untyped-call]
                connection.connect()
        except Exception as exc:  # kombu raises the transport's own errors
            return f"RabbitMQ at {RABBITMQ_URL} does not answer ({type(exc).__name__}: {exc})"
        return None

    def settings(self) -> str:
        return (
            f"celery worker -c {CONCURRENCY} prefork, broker the machine's RabbitMQ, result "
            "backend rpc:// (replies over AMQP); early acks, no publisher confirms"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        worker, variables = self.start_worker(workdir, environment, RABBITMQ_URL, "rpc://")
        server = listening_pid(RABBITMQ_PORT)
        return Started([worker], [server] if server else [], variables)

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        super().stop(started, workdir, environment)
        # Celery declared the round's queue durable: it would outlive the benchmark.
        with Connection(RABBITMQ_URL, connect_timeout=5) as connection:  # type: ignore[no-untyped-call]
            connection.default_channel.queue_delete(f"bench_{workdir.name}")


class CeleryRedisDurable(_CelerySystem):
    name: ClassVar[str] = "celery-redis-durable"
    label: ClassVar[str] = "Celery + Redis fsync, acks_late"
    durable: ClassVar[bool] = True
    acks_late: ClassVar[bool] = True
    counted: ClassVar[str] = (
        "the celery worker and its prefork children, plus the redis-server the benchmark "
        "started for the round"
    )

    def unavailable(self) -> str | None:
        return _redis.durable_server_problem()

    def settings(self) -> str:
        return (
            f"celery worker -c {CONCURRENCY} prefork, task_acks_late=True; broker + result "
            "backend a redis-server of its own: --appendonly yes --appendfsync always"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        server, port = _redis.start_durable_server(workdir, environment)
        url = _redis.url(port)
        try:
            worker, variables = self.start_worker(workdir, environment, url, url)
        except BaseException:
            stop(server)
            raise
        return Started([server, worker], [server.pid], variables)
