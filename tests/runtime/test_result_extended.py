"""`RESULT_EXTENDED`: each outcome keeps the call's arguments, queue, host and start."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests import broker_tasks
from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._broker import get_broker
from weft_compat._config import (
    RESULT_EXTENDED_ENV_VAR,
    settings_environment,
    validate_settings,
)
from weft_compat._envelope import Envelope
from weft_compat._outcome import Outcome, extended, read_outcome, write_outcome
from weft_compat._states import SUCCESS

pytestmark = pytest.mark.broker


@pytest.fixture
def extended_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A context of its own whose workers (no Django: they read the environment this
    process gives them) run with `RESULT_EXTENDED` on."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    with (
        override_settings(WEFT_COMPAT={"RESULT_EXTENDED": True}),
        pointed_at(tmp_path, stop=True),
    ):
        yield tmp_path


def moment(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_setting_is_off_by_default_and_reaches_workers_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert validate_settings({}, where="test").RESULT_EXTENDED is False
    assert settings_environment()[RESULT_EXTENDED_ENV_VAR] == "0"
    with override_settings(WEFT_COMPAT={"RESULT_EXTENDED": True}):
        assert settings_environment()[RESULT_EXTENDED_ENV_VAR] == "1"


@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_an_extended_outcome_keeps_the_arguments_queue_worker_and_times(
    extended_context: Path, lane: str
) -> None:
    before = time.time()
    handle = broker_tasks.whoami.using(lane=lane).enqueue("tag", flag=True)
    assert handle.wait(timeout=120)["tag"] == "tag"
    body = WeftSubmission.from_tid(handle.tid).as_dict()
    assert body["state"] == SUCCESS
    assert body["args"] == ["tag"] and body["kwargs"] == {"flag": True}
    assert body["queue"] == "default" and body["worker"] == socket.gethostname()
    created, started, done = (
        moment(body[f"date_{name}"]) for name in ("created", "started", "done")
    )
    assert before - 1 <= created <= started <= done <= time.time()
    outcome = read_outcome(handle.tid)
    assert outcome is not None and outcome.lane == lane
    # The arguments are the envelope's own text, stored as they were encoded at enqueue.
    assert outcome.call is not None and '"flag": true' in outcome.call


def test_a_call_failed_by_a_lost_pool_process_keeps_its_arguments_too(
    extended_context: Path,
) -> None:
    marker = extended_context / "deliveries"
    handle = broker_tasks.lost_for_good.using(queue="lost").enqueue(str(marker))
    deadline = time.monotonic() + 90
    while not (marker.exists() and marker.read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(int(marker.read_text().split()[0]), signal.SIGKILL)
    handle.result(timeout=90)
    body = handle.as_dict()
    assert body["state"] == "FAILURE"
    assert body["errors"][0]["exception_class_path"] == "weft_compat.exceptions.WorkerLostError"
    assert body["args"] == [str(marker)] and body["queue"] == "lost"
    assert "date_done" in body and "date_started" not in body  # its start went with it


def test_an_outcome_without_the_setting_keeps_only_when_it_ended(tmp_path: Path) -> None:
    envelope = Envelope(task="t", call='{"args": [1], "kwargs": {}}', queue="q")
    assert extended(Outcome(SUCCESS), envelope, started=1.0) == Outcome(SUCCESS)
    with pointed_at(tmp_path):
        call_id = str(get_broker().generate_timestamp())
        write_outcome(call_id, Outcome(SUCCESS, task="t"))
        body = WeftSubmission.from_tid(call_id).as_dict()
    assert {"date_created", "date_done"} <= set(body)
    assert not {"args", "kwargs", "queue", "worker", "date_started"} & set(body)


@pytest.mark.parametrize(("policy", "shown"), [("status_only", False), ("allow_all", True)])
def test_the_status_view_shows_arguments_only_where_it_shows_the_result(
    tmp_path: Path, policy: str, shown: bool
) -> None:
    envelope = Envelope(task="t", call='{"args": [1], "kwargs": {"secret": "s3"}}', queue="q")
    with (
        override_settings(
            WEFT_COMPAT={"RESULT_EXTENDED": True, "AUTHORIZE": f"tests.django.test_views.{policy}"}
        ),
        pointed_at(tmp_path),
    ):
        call_id = str(get_broker().generate_timestamp())
        write_outcome(call_id, extended(Outcome(SUCCESS, value="2", task="t"), envelope))
        body = Client().get(f"/tasks/{call_id}/").json()
    assert ("kwargs" in body) is shown and ("args" in body) is shown
    assert ("result" in body) is shown
    assert body["queue"] == "q" and "date_done" in body and "date_created" in body
