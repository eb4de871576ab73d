"""`weft-compat status` / `revoke` and their `manage.py` forms, on a real Weft context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests import broker_tasks
from tests.conftest import wait_for_state
from weft_compat.cli import main

UNKNOWN_TID = "1700000000000000001"


def test_an_id_that_is_no_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "nope"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert main(["revoke", "nope", "--kill"]) == 2


def test_an_unknown_id_is_exit_1(weft_context: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", UNKNOWN_TID]) == 1
    assert main(["revoke", UNKNOWN_TID]) == 1
    assert f"no call has the id {UNKNOWN_TID!r}" in capsys.readouterr().err


@pytest.mark.broker
def test_status_prints_the_state_and_result_as_text_and_json(
    weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = broker_tasks.add.using(owner=42).enqueue(4, 5)
    handle.wait(timeout=90)
    capsys.readouterr()
    assert main(["status", handle.tid]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[:3] == [
        f"{handle.tid} tests.broker_tasks.add SUCCESS",
        "owner: 42",
        "result: 9",
    ]
    assert main(["status", handle.tid, "--format", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["state"], body["result"], body["ready"]) == ("SUCCESS", 9, True)
    assert body["owner"] == "42"


@pytest.mark.broker
def test_status_of_a_failed_call_prints_its_error(
    weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = broker_tasks.explode.enqueue("no disk")
    with pytest.raises(Exception, match="no disk"):
        handle.wait(timeout=90)
    capsys.readouterr()
    call_command("weft_status", handle.tid)
    out = capsys.readouterr().out
    assert "FAILURE" in out.splitlines()[0]
    assert any(line.startswith("error: ") and "no disk" in line for line in out.splitlines())


@pytest.mark.broker
@pytest.mark.parametrize("through", ["cli", "manage.py"])
def test_revoke_stops_a_running_call(
    through: str, weft_context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = broker_tasks.sleeps.enqueue(60)
    wait_for_state(handle, "STARTED")
    if through == "cli":
        assert main(["revoke", handle.tid, "--kill"]) == 0
    else:
        call_command("weft_revoke", handle.tid)
    wait_for_state(handle, "REVOKED")


def test_manage_py_status_of_an_unknown_id_is_a_command_error(weft_context: Path) -> None:
    with pytest.raises(CommandError, match="exit code 1"):
        call_command("weft_status", UNKNOWN_TID)
