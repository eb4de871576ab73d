"""Draining real Celery messages from Redis and RabbitMQ: every known call runs once with
its arguments and times, the rest is parked intact, and a drain killed midway and run
again loses nothing and runs nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Producer

from tests.drain.conftest import Broker
from tests.elsewhere import read_elsewhere
from weft_compat import WeftSubmission
from weft_compat._outcome import read_events
from weft_compat.drain import PARKED_HEADER, CeleryBroker, DrainOptions, drain, requeue_parked
from weft_compat.drain._source import RawMessage

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def options(broker: Broker, **changes: Any) -> DrainOptions:
    values: dict[str, Any] = {
        "broker": broker.url,
        "queues": (f"{broker.queue}=default",),
        "parking_queue": broker.parking,
    }
    return DrainOptions(**{**values, **changes})


def runs(marker: Path) -> Counter[str]:
    lines = marker.read_text().splitlines() if marker.exists() else []
    return Counter(line.split()[0] for line in lines)


def started_at(marker: Path) -> dict[str, float]:
    return {line.split()[0]: float(line.split()[1]) for line in marker.read_text().splitlines()}


def publish_malformed(broker: Broker, body: bytes) -> str:
    """A message with Celery's headers and a body that is not what they promise."""
    task_id = str(uuid.uuid4())
    with Connection(broker.url) as connection:
        Producer(connection.default_channel).publish(
            body,
            routing_key=broker.queue,
            exchange=Exchange(broker.queue, type="direct"),
            declare=[],
            content_type="application/json",
            content_encoding="utf-8",
            headers={"lang": "py", "task": "drain.noted", "id": task_id, "retries": 0},
        )
    return task_id


def test_a_mixed_queue_runs_each_known_call_once_and_parks_the_rest(
    broker: Broker, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "runs"
    app = broker.producer()
    now = datetime.now(UTC)
    sent: dict[str, dict[str, Any]] = {}
    expired: list[str] = []
    for index in range(200):
        arguments = [str(marker), index, f"text {index}", Decimal(f"{index}.25"), uuid.uuid4(), now]
        timing: dict[str, Any] = {}
        due = None
        # Far enough ahead to be still deferred once all of them are published.
        if index % 10 == 1:
            timing = {"countdown": 4}
            due = datetime.now(UTC) + timedelta(seconds=4)
        elif index % 10 == 2:
            timing = {"eta": datetime.now(UTC) + timedelta(seconds=5)}
            due = timing["eta"]
        elif index % 10 == 3:
            timing = {"expires": now - timedelta(seconds=60)}
        elif index % 10 == 4:
            timing = {"retries": 2, "expires": now + timedelta(hours=1)}
        elif index % 10 == 5:
            timing = {"priority": 6}  # On Redis, a list of its own: read through kombu's.
        result = app.send_task(
            "drain.noted", args=arguments, kwargs={"n": index}, queue=broker.queue, **timing
        )
        if index % 10 == 3:
            expired.append(result.id)
            continue
        sent[result.id] = {"args": arguments[1:], "due": due, "retries": timing.get("retries", 0)}
    # Celery's protocol 1, still found where old producers publish.
    old = broker.producer(protocol=1)
    for index in range(5):
        result = old.send_task("drain.noted", args=[str(marker), index], queue=broker.queue)
        sent[result.id] = {"args": [index], "due": None, "retries": 0}
    # The same message twice (a redelivery, or a producer's retry) is one call.
    twice = str(uuid.uuid4())
    for _ in range(2):
        app.send_task("drain.noted", args=[str(marker), 99], queue=broker.queue, task_id=twice)
    sent[twice] = {"args": [99], "due": None, "retries": 0}
    parked = {
        app.send_task("drain.no_such_task", args=[1], queue=broker.queue).id: "no task"
        for _ in range(4)
    }
    for serializer in ("pickle", "pickle", "yaml"):
        result = app.send_task("drain.add", args=[1, 2], queue=broker.queue, serializer=serializer)
        parked[result.id] = serializer
    parked[publish_malformed(broker, b"{not json")] = "malformed"
    parked[publish_malformed(broker, b'{"args": []}')] = "malformed"

    report = drain(options(broker))

    # On RabbitMQ the broker drops an expired message itself (Celery's per-message TTL).
    reached = expired if broker.kind == "redis" else []
    counts = report.as_dict()["queues"][0]
    assert counts["queued"] + counts["deferred"] == len(sent)
    assert counts["deferred"] == sum(1 for call in sent.values() if call["due"]) == 40
    assert counts["duplicate"] == 1
    assert counts["expired"] == len(reached)
    assert counts["parked"] == len(parked)
    listed = {entry.task_id: entry.reason for entry in report.parked}
    assert set(listed) == set(parked)
    for task_id, why in parked.items():
        assert why in listed[task_id]
    for task_id, expected in sent.items():
        handle = WeftSubmission.from_tid(task_id)
        value = handle.result(timeout=120).value
        assert handle.state == "SUCCESS", task_id
        assert value["values"] == expected["args"]
        assert value["retries"] == expected["retries"]
        if len(expected["args"]) > 2:
            assert value["types"] == ["int", "str", "Decimal", "UUID", "datetime"]
            assert value["named"] == {"n": expected["args"][0]}
    assert runs(marker) == Counter(dict.fromkeys(sent, 1))
    for task_id in parked:
        assert WeftSubmission.from_tid(task_id).state == "UNKNOWN"
    moments = started_at(marker)
    for task_id, expected in sent.items():
        if expected["due"] is not None:
            assert moments[task_id] >= expected["due"].timestamp() - 0.05, task_id
    for task_id in expired:
        assert WeftSubmission.from_tid(task_id).state == (
            "REVOKED" if broker.kind == "redis" else "UNKNOWN"
        )
    # Read from nothing but the Celery id, in another process, as a view does.
    seen = read_elsewhere(twice, weft_context)
    assert seen["state"] == "SUCCESS" and seen["as_dict"]["result"]["values"] == [99]
    # The broker keeps only what was parked, with the reason; a dry run lists them.
    assert broker.count(broker.queue) == 0
    celery_broker = CeleryBroker(broker.url)
    try:
        listed_again = requeue_parked(celery_broker, broker.parking, dry_run=True)
        assert {entry.task_id: entry.queue for entry in listed_again} == dict.fromkeys(
            parked, broker.queue
        )
        assert all(entry.reason == listed[entry.task_id] for entry in listed_again)
        assert broker.count(broker.parking) == len(parked)
        # Put back after a fix: to the queue they came from, exactly as they came.
        requeued = requeue_parked(celery_broker, broker.parking)
    finally:
        celery_broker.close()
    assert {entry.task_id for entry in requeued} == set(parked)
    assert broker.count(broker.parking) == 0
    back = broker.take_all(broker.queue)
    assert {message.headers["id"] for message in back} == set(parked)
    for message in back:
        assert PARKED_HEADER not in message.headers
        if parked[message.headers["id"]] == "pickle":
            assert message.content_type == "application/x-python-serialize"
            assert message.body.startswith(b"\x80")


def test_a_dry_run_reports_and_consumes_nothing(broker: Broker, weft_context: Path) -> None:
    app = broker.producer()
    known = [
        app.send_task("drain.add", args=[1, 2], queue=broker.queue).id,
        app.send_task("drain.add", args=[3, 4], queue=broker.queue, countdown=60).id,
        # On Redis, kombu keeps a message with a priority in a list of its own.
        app.send_task("drain.add", args=[5, 6], queue=broker.queue, priority=9).id,
    ]
    unknown = app.send_task("drain.missing", queue=broker.queue).id

    report = drain(options(broker, dry_run=True))

    assert report.dry_run
    row = report.as_dict()["queues"][0]
    assert (row["waiting_before"], row["queued"], row["deferred"], row["parked"]) == (4, 2, 1, 1)
    assert [entry.task_id for entry in report.parked] == [unknown]
    assert broker.count(broker.queue) == 4
    assert broker.count(broker.parking) == 0
    for task_id in [*known, unknown]:
        assert not read_events(task_id)
        assert WeftSubmission.from_tid(task_id).state == "UNKNOWN"
    taken = broker.take_all(broker.queue)
    assert sorted(message.headers["id"] for message in taken) == sorted([*known, unknown])


def test_an_unmapped_queue_is_refused_before_anything_is_read(
    broker: Broker, weft_context: Path
) -> None:
    app = broker.producer()
    app.send_task("drain.add", args=[1, 2], queue=broker.queue)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "weft_compat",
            "drain",
            "--broker",
            broker.url,
            "--queue",
            broker.queue,
            "--include",
            "tests.drain.tasks",
        ],
        cwd=ROOT,
        env={**os.environ, "WEFT_COMPAT_CONTEXT": str(weft_context), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2
    assert f"the Celery queue {broker.queue!r} maps to no weft_compat queue" in completed.stderr
    assert f"--queue {broker.queue}=QUEUE" in completed.stderr
    assert broker.count(broker.queue) == 1


def test_a_drain_killed_midway_and_run_again_loses_nothing_and_runs_nothing_twice(
    broker: Broker, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "runs"
    app = broker.producer()
    ids = [
        app.send_task("drain.noted", args=[str(marker), index], queue=broker.queue).id
        for index in range(150)
    ]
    command = [
        sys.executable,
        "-m",
        "weft_compat",
        "drain",
        "--broker",
        broker.url,
        "--queue",
        f"{broker.queue}=default",
        "--parking-queue",
        broker.parking,
        "--include",
        "tests.drain.tasks",
        "--follow",
        # Small batches, so the drain is killed with some recorded and some not.
        "--batch",
        "10",
    ]
    environment = {**os.environ, "WEFT_COMPAT_CONTEXT": str(weft_context), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while sum(1 for task_id in ids if read_events(task_id)) < 20:
            assert process.poll() is None, "the drain ended before it was killed"
            assert time.monotonic() < deadline, "the drain recorded nothing in time"
            time.sleep(0.01)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    first = sum(1 for task_id in ids if read_events(task_id))
    assert first < len(ids), "the drain finished before it was killed; send more messages"

    # On Redis what the lost drain held waits in kombu's unacked hash: put it back.
    report = drain(options(broker, restore_unacked=True))

    row = report.as_dict()["queues"][0]
    assert row["queued"] == len(ids) - first
    assert row["parked"] == 0
    for task_id in ids:
        assert WeftSubmission.from_tid(task_id).result(timeout=120).status == "completed"
    assert runs(marker) == Counter(dict.fromkeys(ids, 1))
    assert broker.count(broker.queue) == 0


def test_a_drain_lost_between_recording_and_acknowledging_gives_each_call_once(
    broker: Broker, weft_context: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "runs"
    app = broker.producer()
    ids = [
        app.send_task("drain.noted", args=[str(marker), index], queue=broker.queue).id
        for index in range(5)
    ]

    def lost(_broker: CeleryBroker, _messages: list[RawMessage]) -> None:
        raise ConnectionError("the drain's link to the broker dropped")

    with monkeypatch.context() as patched:
        patched.setattr(CeleryBroker, "ack_all", lost)
        with pytest.raises(ConnectionError):
            drain(options(broker))
    # Recorded, never acknowledged: the broker holds every message still.
    assert all(read_events(task_id) for task_id in ids)

    report = drain(options(broker, restore_unacked=True))

    row = report.as_dict()["queues"][0]
    assert (row["queued"], row["duplicate"]) == (0, 5)
    for task_id in ids:
        assert WeftSubmission.from_tid(task_id).result(timeout=60).status == "completed"
    assert runs(marker) == Counter(dict.fromkeys(ids, 1))
    assert broker.count(broker.queue) == 0


def test_a_queue_of_the_isolated_lane_gets_its_drained_calls_through_the_mover(
    broker: Broker, weft_context: Path, settings: Any
) -> None:
    settings.WEFT_COMPAT = {"QUEUES": {"default": {}, "solo": {"lane": "isolated"}}}
    app = broker.producer()
    task_id = app.send_task("drain.add", args=[20, 22], queue=broker.queue).id

    report = drain(options(broker, queues=(f"{broker.queue}=solo",)))

    assert report.as_dict()["queues"][0]["queued"] == 1
    handle = WeftSubmission.from_tid(task_id)
    assert handle.result(timeout=120).value == 42
    assert handle.state == "SUCCESS"
