"""The Celery brokers the drain tests read: real Redis and RabbitMQ on the loopback, a
queue of each test's own, a real Celery producer (no Celery worker), and cleanup of
exactly what the test created."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from celery import Celery
from kombu import Connection, Queue

from tests.conftest import require_service
from tests.drain import tasks

BROKERS = {
    "redis": ("redis://127.0.0.1:6379/0", 6379),
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:5672//", 5672),
}
assert tasks.noted.name == "drain.noted"


@dataclass(frozen=True)
class Broker:
    """One broker, a fresh Celery queue and parking queue on it, and a producer."""

    kind: str
    url: str
    queue: str
    parking: str

    def producer(self, *, protocol: int = 2) -> Celery:
        app = Celery(f"producer-{uuid.uuid4().hex[:6]}", broker=self.url, task_protocol=protocol)
        app.conf.broker_connection_retry_on_startup = False
        return app

    def take_all(self, queue: str) -> list[Any]:
        """Every message of `queue`, removed (acknowledged) from it."""
        taken = []
        with Connection(self.url) as connection:
            bound = Queue(queue, no_declare=True).bind(connection.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                taken.append(message)
        return taken

    def count(self, queue: str) -> int:
        """How many messages wait in `queue`, without consuming any."""
        with Connection(self.url) as connection:
            try:
                _, count, _ = connection.channel().queue_declare(queue=queue, passive=True)
            except connection.channel_errors:
                return 0
        return int(count)


@pytest.fixture(params=list(BROKERS))
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """A broker with a queue and a parking queue of this test's own, removed after it."""
    url, port = BROKERS[request.param]
    require_service(request.param, "127.0.0.1", port)
    name = f"drain-test-{uuid.uuid4().hex[:10]}"
    found = Broker(request.param, url, name, f"{name}.parked")
    try:
        yield found
    finally:
        _remove(found)


def _remove(broker: Broker) -> None:
    # Only this test's names: the queue, its parking queue, Celery's exchange and bindings.
    if broker.kind == "redis":
        client = redis.Redis.from_url(broker.url)
        keys = [
            *client.keys(f"{broker.queue}*"),
            *client.keys(f"_kombu.binding.{broker.queue}*"),
            *client.keys(f"_kombu.binding_permanent.{broker.queue}*"),
        ]
        if keys:
            client.delete(*keys)
        return
    with Connection(broker.url) as connection:
        for queue in (broker.queue, broker.parking):
            connection.channel().queue_delete(queue)
        connection.channel().exchange_delete(broker.queue)
