"""`weft-compat drain` and `manage.py weft_drain` as an operator runs them: the JSON
report, the parked messages listed and put back, and a dry run that consumes nothing."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import redis
from django.core.management import call_command

from tests.drain.conftest import Broker
from weft_compat import WeftSubmission
from weft_compat.cli import main

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def drain_arguments(broker: Broker, *more: str) -> list[str]:
    return [
        "drain",
        "--broker",
        broker.url,
        "--queue",
        f"{broker.queue}=default",
        "--parking-queue",
        broker.parking,
        *more,
    ]


def test_drain_prints_a_json_report_and_requeue_parked_puts_the_parked_back(
    broker: Broker, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = broker.producer()
    known = app.send_task("drain.add", args=[2, 3], queue=broker.queue).id
    pickled = app.send_task("drain.add", args=[1, 1], queue=broker.queue, serializer="pickle").id
    unknown = app.send_task("drain.gone", queue=broker.queue).id

    assert main(drain_arguments(broker, "--format", "json")) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["dry_run"] is False
    assert report["drained"] == 1
    [row] = report["queues"]
    assert (row["celery_queue"], row["queue"]) == (broker.queue, "default")
    assert (row["waiting_before"], row["queued"], row["parked"], row["duplicate"]) == (3, 1, 2, 0)
    reasons = {entry["id"]: entry["reason"] for entry in report["parked"]}
    assert set(reasons) == {pickled, unknown}
    assert "pickle" in reasons[pickled]
    assert "no task is registered as 'drain.gone'" in reasons[unknown]
    assert WeftSubmission.from_tid(known).result(timeout=60).value == 5

    assert main(drain_arguments(broker, "--requeue-parked", "--dry-run")) == 0
    listed = capsys.readouterr().out
    assert f"would put back 2 parked messages from {broker.parking}" in listed
    assert f"{pickled} drain.add -> {broker.queue}" in listed
    assert broker.count(broker.parking) == 2

    assert main(drain_arguments(broker, "--requeue-parked", "--format", "json")) == 0
    requeued = json.loads(capsys.readouterr().out)
    assert {entry["id"] for entry in requeued["requeued"]} == {pickled, unknown}
    assert broker.count(broker.parking) == 0
    assert broker.count(broker.queue) == 2


def test_manage_py_weft_drain_runs_the_same_drain_with_the_project_loaded(
    broker: Broker, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = broker.producer()
    waiting = app.send_task("drain.add", args=[4, 5], queue=broker.queue, countdown=30).id

    call_command("weft_drain", *drain_arguments(broker, "--dry-run")[1:])

    shown = capsys.readouterr().out
    assert shown.startswith("dry run, nothing consumed: would drain 1, parked 0")
    assert f"{broker.queue} -> default: 0 queued, 1 deferred" in shown
    assert broker.count(broker.queue) == 1
    assert WeftSubmission.from_tid(waiting).state == "UNKNOWN"


def test_a_dry_run_that_would_follow_is_refused_before_anything_is_read(
    broker: Broker, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broker.producer().send_task("drain.add", args=[1, 2], queue=broker.queue)

    assert main(drain_arguments(broker, "--dry-run", "--follow")) == 2

    assert "--dry-run reports what the queues hold once" in capsys.readouterr().err
    assert broker.count(broker.queue) == 1


# RabbitMQ holds only messages, never a raw list entry.
@pytest.mark.parametrize("broker", ["redis"], indirect=True)
def test_a_redis_entry_kombu_did_not_write_stops_the_drain_and_stays_in_place(
    broker: Broker, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client = redis.Redis.from_url(broker.url)
    client.rpush(broker.queue, b"not a kombu message")

    assert main(drain_arguments(broker)) == 1

    assert f"the Redis list of {broker.queue!r} holds an entry kombu did not write" in (
        capsys.readouterr().err
    )
    assert client.lrange(broker.queue, 0, -1) == [b"not a kombu message"]


def test_a_following_drain_takes_what_arrives_later_and_stops_on_sigterm(
    broker: Broker, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = broker.producer()
    ids = [app.send_task("drain.add", args=[index, 1], queue=broker.queue).id for index in range(3)]

    def roll_off() -> None:
        time.sleep(0.6)  # An old producer still publishing while the drain follows.
        ids.extend(
            app.send_task("drain.add", args=[index, 1], queue=broker.queue).id
            for index in range(3, 5)
        )
        time.sleep(0.8)
        os.kill(os.getpid(), signal.SIGTERM)

    producer = threading.Thread(target=roll_off)
    producer.start()
    try:
        assert main(drain_arguments(broker, "--follow", "--format", "json")) == 0
    finally:
        producer.join()

    report = json.loads(capsys.readouterr().out)
    assert report["drained"] == 5
    for index, task_id in enumerate(ids):
        assert WeftSubmission.from_tid(task_id).result(timeout=60).value == index + 1
    assert broker.count(broker.queue) == 0
