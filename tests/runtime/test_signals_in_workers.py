"""Celery's task signals in real workers, both lanes: the receivers of `tests.signal_tasks`
run in the worker process and journal what they saw; the publish signals run here."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.signal_tasks import signalled
from weft_compat.signals import after_task_publish

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
