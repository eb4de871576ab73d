"""`weft-compat inspect`: waiting, held and deferred calls per queue, and who serves them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import broker_tasks
from tests.conftest import pointed_at, wait_for_state
from weft_compat._broker import get_broker, running_queue
from weft_compat._outcome import Outcome, write_outcome
from weft_compat._states import SUCCESS
from weft_compat._submit import prepare_call
from weft_compat.cli import main
from weft_compat.inspect_command import inspect
from weft_compat.pool import start_pool

pytestmark = pytest.mark.broker


def test_a_fresh_context_has_nothing_to_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pointed_at(tmp_path, stop=True):
        assert inspect()["queues"] == {}
        assert main(["inspect"]) == 0
    assert "no queue has calls or pools" in capsys.readouterr().out


def test_a_queue_shows_its_pool_its_running_call_its_backlog_and_its_deferred_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pointed_at(tmp_path, stop=True):
        tid = start_pool("insp", 1, prefetch_multiplier=1)
        running = broker_tasks.sleeps.using(queue="insp").enqueue(60)
        wait_for_state(running, "STARTED")
        waiting = [broker_tasks.add.using(queue="insp").enqueue(i, i) for i in range(3)]
        later = broker_tasks.add.using(queue="insp", countdown=600).enqueue(1, 1)
        found = inspect()["queues"]["insp"]
        assert [pool["tid"] for pool in found["pools"]] == [tid]
        assert found["pools"][0]["concurrency"] == 1 and not found["pools"][0]["autostarted"]
        held = {call["id"]: call["task"] for call in found["held"]}
        assert held[running.tid] == "tests.broker_tasks.sleeps"
        # Each waiting call is either in the queue or claimed ahead by the process.
        assert found["waiting"] + len(held) == 1 + len(waiting)
        assert found["deferred"] == 1
        call_command("weft_inspect", "--format", "json")
        assert json.loads(capsys.readouterr().out)["queues"]["insp"]["deferred"] == 1
        assert main(["inspect"]) == 0
        text = capsys.readouterr().out
        assert "queue insp: " in text and "1 deferred" in text
        assert f"  holds tests.broker_tasks.sleeps[{running.tid}]" in text
        for handle in (running, *waiting, later):
            handle.kill()


def test_a_call_that_ended_is_no_longer_held_while_its_message_waits_to_be_deleted(
    tmp_path: Path,
) -> None:
    # A pool process deletes the messages of ended calls a batch at a time, or once its
    # work pauses; until then only the running call and the calls claimed ahead are held.
    with pointed_at(tmp_path, stop=True):
        running = running_queue("insp-ended", "1000000000000000007", 0)
        envelope = prepare_call(broker_tasks.add, [1, 2], {}).envelope
        ended, held = (get_broker().write(running, envelope.to_json()) for _ in range(2))
        write_outcome(str(ended), Outcome(SUCCESS, value="3"))
        found = inspect()["queues"]["insp-ended"]
        assert [call["id"] for call in found["held"]] == [str(held)]
        get_broker().delete(running)
