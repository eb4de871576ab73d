"""The cut-over drain: Celery task messages moved per second from Redis and RabbitMQ into
the pooled lane.

One run per broker, each in a fresh temporary Weft context with a pool of two processes
started and warmed up first (a deployment's steady state, as at cut-over), and a Celery
queue of its own on the broker:

- publish: `--messages` calls (default 2,000; `benchmarks.noop`, one int argument) sent
  by a real Celery producer (`app.send_task`, protocol 2, JSON), no Celery worker;
- read and ack: the same count taken and acknowledged by the drain's broker code alone,
  recording nothing (what the broker allows, the ceiling);
- drain: `weft_compat.drain.drain` over the queue until it is empty, each message
  recorded as a pooled call before its acknowledgement: messages per second;
- to the last result: from the drain's start until every drained call has run.

Skips a broker that does not answer on the loopback.

    pip install -e '.[bench]'
    python -m benchmarks.drain [--messages 2000] [--brokers redis,rabbitmq]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BROKERS: Final = {
    "redis": os.environ.get("BENCH_DRAIN_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("BENCH_DRAIN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}
TIMEOUT: Final = 600.0


def answers(url: str) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    port = parts.port or (6379 if parts.scheme.startswith("redis") else 5672)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def publish(url: str, queue: str, messages: int) -> list[str]:
    """Send `messages` calls with a Celery producer; returns their Celery ids."""
    from celery import Celery

    app = Celery(f"bench-drain-{uuid.uuid4().hex[:6]}", broker=url)
    app.conf.broker_connection_retry_on_startup = False
    ids = [
        app.send_task("benchmarks.noop", args=[index], queue=queue).id for index in range(messages)
    ]
    app.close()
    return ids


def read_and_ack(url: str, queue: str) -> int:
    """Take and acknowledge every message of `queue`, recording nothing."""
    from weft_compat.drain import CeleryBroker

    broker = CeleryBroker(url)
    taken = 0
    try:
        while (message := broker.get(queue)) is not None:
            message.ack()
            taken += 1
    finally:
        broker.close()
    return taken


def remove(url: str, kind: str, queue: str) -> None:
    """Delete the benchmark's queue, parking queue and Celery exchange."""
    from kombu import Connection

    with Connection(url) as connection:
        if kind == "redis":
            client = connection.default_channel.client
            keys = [
                *client.keys(f"{queue}*"),
                *client.keys(f"_kombu.binding.{queue}*"),
                *client.keys(f"_kombu.binding_permanent.{queue}*"),
            ]
            if keys:
                client.delete(*keys)
            return
        for name in (queue, f"{queue}.parked"):
            connection.channel().queue_delete(name)
        connection.channel().exchange_delete(queue)


def run_broker(kind: str, url: str, messages: int) -> dict[str, float]:
    """Figures for one broker, in the current Weft context."""
    from benchmarks.bench_tasks import noop
    from weft_compat import WeftSubmission
    from weft_compat.drain import DrainOptions, drain

    queue = f"bench-drain-{uuid.uuid4().hex[:8]}"
    figures: dict[str, float] = {}
    try:
        started = time.perf_counter()
        publish(url, queue, messages)
        figures["publish"] = messages / (time.perf_counter() - started)

        started = time.perf_counter()
        taken = read_and_ack(url, queue)
        figures["read_ack"] = taken / (time.perf_counter() - started)
        assert taken == messages, f"read {taken} of {messages}"

        ids = publish(url, queue, messages)
        warm = noop.enqueue(0).result(timeout=TIMEOUT)
        assert warm.value == 0, warm
        options = DrainOptions(
            broker=url, queues=(f"{queue}=default",), parking_queue=f"{queue}.parked"
        )
        started = time.perf_counter()
        report = drain(options)
        drained = time.perf_counter() - started
        assert report.total("queued") == messages, report.render("text")
        figures["drain"] = messages / drained
        for index, task_id in enumerate(ids):
            assert WeftSubmission.from_tid(task_id).result(timeout=TIMEOUT).value == index
        figures["end_to_end"] = messages / (time.perf_counter() - started)
    finally:
        remove(url, kind, queue)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--brokers", default="redis,rabbitmq")
    arguments = parser.parse_args()
    print(f"1-min load at the start: {os.getloadavg()[0]:.2f}")
    print(f"{arguments.messages:,} messages per broker, messages per second")
    print(f"{'broker':<10} {'publish':>9} {'read+ack':>9} {'drain':>9} {'to result':>10}")
    for kind in arguments.brokers.split(","):
        url = BROKERS[kind]
        if not answers(url):
            print(f"{kind:<10} skipped: nothing answers at {url}")
            continue
        workdir = Path(tempfile.mkdtemp(prefix="weft-compat-drain-bench-"))
        os.environ["WEFT_COMPAT_CONTEXT"] = str(workdir)
        try:
            # The task module first: a pool imports what the process that starts it has.
            import benchmarks.bench_tasks  # noqa: F401
            from weft_compat.pool import start_pool

            print(f"{kind}: starting a pool of two and warming it up ...", file=sys.stderr)
            start_pool(concurrency=2)
            figures = run_broker(kind, url, arguments.messages)
        finally:
            print("cleaning up: pools, Weft manager, temp dir ...", file=sys.stderr)
            from weft_compat._broker import close_thread_broker
            from weft_compat._client import close_thread_client
            from weft_compat.shutdown import stop_context

            stop_context(grace=60)
            close_thread_broker()
            close_thread_client()
            shutil.rmtree(workdir, ignore_errors=True)
        print(
            f"{kind:<10} {figures['publish']:>9.0f} {figures['read_ack']:>9.0f} "
            f"{figures['drain']:>9.0f} {figures['end_to_end']:>10.0f}"
        )
    print(f"1-min load at the end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
