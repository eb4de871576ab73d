"""`weft-compat purge QUEUE` and `manage.py weft_purge`: waiting calls go, held ones stay."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests import broker_tasks
from tests.conftest import pointed_at, wait_for_state
from weft_compat import WeftSubmission
from weft_compat._broker import DUE_QUEUE, get_broker, pending_queue, pool_key
from weft_compat._envelope import Envelope
from weft_compat.cli import main
from weft_compat.pool import start_pool
from weft_compat.purge_command import waiting_calls


class Terminal(io.StringIO):
    """Stdin as a terminal on which the operator types `answer`."""

    def isatty(self) -> bool:
        return True


def answer(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(text))


def test_a_bad_queue_name_is_a_usage_error_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["purge", "no such/queue", "--yes"]) == 2
    err = capsys.readouterr().err
    assert "'no such/queue' is not a queue name" in err and "such as 'default'" in err


def test_without_a_terminal_it_refuses_unless_told_yes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["purge", "default"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    with pytest.raises(CommandError, match="exit code 2"):
        call_command("weft_purge", "default")


@pytest.mark.broker
def test_every_pool_key_of_the_queue_is_purged_and_a_retry_keeps_its_first_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Messages written as the lanes write them, with no pool to take them: no processes.
    def call(queue: str, **fields: object) -> str:
        envelope = Envelope(task="tests.broker_tasks.add", call="[[1, 1], {}]", queue=queue)
        return json.dumps({"weft_compat": {**envelope.to_payload()["weft_compat"], **fields}})

    with pointed_at(tmp_path, stop=True):
        broker = get_broker()
        plain = broker.write(pending_queue("nightly"), call("nightly", lane="pooled"))
        django = broker.write(
            pending_queue(pool_key("nightly", "shop.settings")), call("nightly", lane="pooled")
        )
        retry = broker.write(pending_queue("nightly"), call("nightly", call_id=str(plain - 1)))
        other = broker.write(pending_queue("nightly.eu"), call("nightly.eu", lane="pooled"))
        later = broker.write(DUE_QUEUE, call("nightly", eta=4e9))
        assert len(waiting_calls("nightly")) == 3
        assert len(waiting_calls("nightly", deferred=True)) == 4
        assert main(["purge", "nightly", "--yes", "--format", "json"]) == 0
        body = json.loads(capsys.readouterr().out)
        assert body == {
            "queue": "nightly",
            "purged": 3,
            "ids": [str(plain), str(plain - 1), str(django)],
        }
        for tid in body["ids"]:
            handle = WeftSubmission.from_tid(tid)
            assert (handle.state, handle.status()) == ("REVOKED", "purged")
        assert WeftSubmission.from_tid(str(retry)).state == "UNKNOWN"  # Its id is the first.
        assert WeftSubmission.from_tid(str(other)).state == "PENDING"  # Another queue.
        assert WeftSubmission.from_tid(str(later)).state == "PENDING"  # Deferred: kept.


@pytest.mark.broker
def test_purge_asks_then_removes_waiting_calls_and_leaves_the_running_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = os.environ["DJANGO_SETTINGS_MODULE"]
    with pointed_at(tmp_path, stop=True):
        start_pool("purged", 1, prefetch_multiplier=1)
        sleeps, add = (
            task.using(queue="purged") for task in (broker_tasks.sleeps, broker_tasks.add)
        )
        running = sleeps.enqueue(60)
        wait_for_state(running, "STARTED")
        waiting = [add.enqueue(i, i) for i in range(3)]
        deferred = add.using(countdown=600).enqueue(1, 1)
        try:
            answer(monkeypatch, "n\n")
            assert main(["purge", "purged"]) == 1
            err = capsys.readouterr().err
            # The pool is the test project's: its Django settings name the pending queue.
            assert f"waiting (Django settings {settings}): 3 call(s)" in err
            assert "Remove these 3 call(s) from queue purged?" in err and "[y/N]" in err
            assert [handle.state for handle in waiting] == ["PENDING"] * 3

            answer(monkeypatch, "yes\n")
            assert main(["purge", "purged", "--format", "json"]) == 0
            body = json.loads(capsys.readouterr().out)
            assert body == {
                "queue": "purged",
                "purged": 3,
                "ids": [handle.tid for handle in waiting],
            }
            assert [WeftSubmission.from_tid(h.tid).state for h in waiting] == ["REVOKED"] * 3
            assert running.state == "STARTED" and deferred.state == "PENDING"

            call_command("weft_purge", "purged", "--deferred", "--no-input")
            assert capsys.readouterr().out == "purged 1 call(s) from queue purged\n"
            assert WeftSubmission.from_tid(deferred.tid).state == "REVOKED"
            assert running.state == "STARTED"
        finally:
            running.kill()
