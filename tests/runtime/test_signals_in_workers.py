"""Celery's signals in real processes, both lanes: the receivers of `tests.signal_tasks`
run in the worker process (and the mover) and journal what they saw; the publish signals
of an enqueue and `task_revoked` of a revoke run here, a retry's publish signals in the
worker, an expired deferred call's `task_revoked` in the mover."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import broker_tasks
from tests.conftest import wait_for_state
from tests.signal_tasks import signalled
from weft_compat import WeftSubmission
from weft_compat.signals import after_task_publish, task_revoked

pytestmark = pytest.mark.broker

LANES = ["pooled", "isolated"]


def journal(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def signals_in(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["signal"] for entry in entries]


@pytest.mark.parametrize("lane", LANES)
def test_the_worker_sends_the_task_signals_of_a_success_a_failure_and_a_retry(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    published: list[tuple[object, dict[str, Any]]] = []

    def on_published(sender: object, headers: dict[str, Any], **kwargs: Any) -> None:
        published.append((sender, dict(headers)))

    paths = {outcome: tmp_path / f"{outcome}.jsonl" for outcome in ("ok", "fail", "retry")}
    after_task_publish.connect(on_published, sender=signalled.name, weak=False)
    try:
        task = signalled.using(lane=lane)
        handles = {outcome: task.enqueue(str(path), outcome) for outcome, path in paths.items()}
    finally:
        after_task_publish.disconnect(on_published, sender=signalled.name)
    for handle in handles.values():
        handle.result(timeout=120)
    assert [(sender, headers["id"]) for sender, headers in published] == [
        (signalled.name, handle.tid) for handle in handles.values()
    ]
    assert all(headers["task"] == signalled.name for _, headers in published)

    ok, fail, retry = (journal(paths[outcome]) for outcome in ("ok", "fail", "retry"))
    for entries, handle in ((ok, handles["ok"]), (fail, handles["fail"])):
        assert {entry["pid"] for entry in entries} != {os.getpid()}  # in the worker
        assert {entry.get("task_id") for entry in entries} == {handle.tid}
    assert signals_in(ok) == ["task_prerun", "task_success", "task_postrun"]
    assert ok[0]["task"] == signalled.name
    assert (ok[0]["args"], ok[0]["kwargs"]) == ([str(paths["ok"]), "ok"], {})
    assert ok[1]["result"] == "ok"
    assert (ok[2]["state"], ok[2]["retval"]) == ("SUCCESS", "'ok'")

    assert signals_in(fail) == ["task_prerun", "task_failure", "task_postrun"]
    failure = fail[1]
    assert failure["exception"] == "LookupError('no such order')"
    assert failure["einfo"] and failure["traceback"]
    assert fail[2]["state"] == "FAILURE"

    assert signals_in(retry) == [
        "task_prerun",
        "task_retry",
        "task_postrun",
        "task_prerun",
        "task_success",
        "task_postrun",
    ]
    assert {entry["task_id"] for entry in retry} == {handles["retry"].tid}
    assert (retry[1]["retries"], retry[1]["reason"], retry[1]["einfo"]) == (
        0,
        "ValueError('again')",
        "Retry",
    )
    assert [entry["state"] for entry in retry if entry["signal"] == "task_postrun"] == [
        "RETRY",
        "SUCCESS",
    ]


@pytest.mark.parametrize("lane", LANES)
def test_a_call_that_expired_sends_task_revoked_in_the_worker(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    path = tmp_path / "expired.jsonl"
    past = datetime.now(UTC) - timedelta(seconds=1)
    handle = signalled.using(lane=lane, expires=past).enqueue(str(path), "ok")
    handle.result(timeout=120)
    assert handle.state == "REVOKED"
    (revoked,) = journal(path)
    assert revoked["pid"] != os.getpid()
    assert revoked == {
        "signal": "task_revoked",
        "pid": revoked["pid"],
        "task_id": handle.tid,
        "terminated": False,
        "signum": None,
        "expired": True,
    }


@pytest.mark.parametrize("lane", LANES)
def test_the_worker_publishes_a_retry_with_the_publish_signals(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    path = tmp_path / "retry.jsonl"
    handle = signalled.using(lane=lane, headers={"journal": True}).enqueue(str(path), "retry")
    handle.result(timeout=120)
    entries = journal(path)
    here = [entry for entry in entries if entry["pid"] == os.getpid()]
    there = [entry for entry in entries if entry["pid"] != os.getpid()]
    assert [(entry["signal"], entry["id"], entry["retries"]) for entry in here] == [
        ("before_task_publish", None, 0),
        ("after_task_publish", handle.tid, 0),
    ]
    assert signals_in(there) == [
        "task_prerun",
        "task_retry",
        "task_postrun",
        "before_task_publish",
        "after_task_publish",
        "task_prerun",
        "task_success",
        "task_postrun",
    ]
    published = [entry for entry in there if entry["signal"].endswith("_publish")]
    # The next attempt keeps the call's id (as a Celery retry keeps its task id).
    assert [(entry["id"], entry["retries"]) for entry in published] == [
        (None, 1),
        (handle.tid, 1),
    ]


@pytest.mark.parametrize("lane", LANES)
def test_a_deferred_call_that_expired_waiting_sends_task_revoked_in_the_mover(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    path = tmp_path / "expired.jsonl"
    handle = signalled.using(lane=lane, countdown=2, expires=1).enqueue(str(path), "ok")
    wait_for_state(handle, "REVOKED")
    deadline = time.monotonic() + 60  # The mover stores the outcome, then announces it.
    while not journal(path):
        assert time.monotonic() < deadline, "the mover sent no task_revoked"
        time.sleep(0.05)
    (revoked,) = journal(path)
    assert revoked["pid"] != os.getpid()
    assert {key: revoked[key] for key in ("signal", "task_id", "expired", "terminated")} == {
        "signal": "task_revoked",
        "task_id": handle.tid,
        "expired": True,
        "terminated": False,
    }
    assert handle.as_dict()["status"] == "expired"


@pytest.mark.parametrize("lane", LANES)
def test_a_revoke_on_request_sends_task_revoked_in_the_revoking_process(
    lane: str, weft_context: Path
) -> None:
    seen: list[dict[str, Any]] = []

    def on_revoked(sender: Any, request: Any, **arguments: Any) -> None:
        seen.append({"sender": sender, "id": request.id, "args": request.args, **arguments})

    task_revoked.connect(on_revoked, weak=False)
    try:
        waiting = broker_tasks.sleeps.using(lane=lane, countdown=60).enqueue(30)
        WeftSubmission.from_tid(waiting.tid).stop()
        running = broker_tasks.sleeps.using(lane=lane).enqueue(60)
        wait_for_state(running, "STARTED")
        running.kill()
        wait_for_state(running, "REVOKED")
        running.kill()  # Ended already: nothing is revoked, nothing is sent.
    finally:
        task_revoked.disconnect(on_revoked)
    assert [(entry["sender"], entry["id"]) for entry in seen] == [
        (broker_tasks.sleeps, waiting.tid),
        (broker_tasks.sleeps, running.tid),
    ]
    cancelled, killed = seen
    assert (cancelled["terminated"], cancelled["signum"], cancelled["expired"]) == (
        False,
        None,
        False,
    )
    assert cancelled["args"] == [30]  # Its envelope waits in the due queue.
    assert (killed["terminated"], killed["signum"], killed["expired"]) == (True, 9, False)
    # A pooled call's envelope is in its pool's queue; an isolated call's, in its process.
    assert killed["args"] == ([60] if lane == "pooled" else [])
