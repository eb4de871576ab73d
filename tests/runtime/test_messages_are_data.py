"""Messages written into the broker by hand: a worker treats them as data, never as code.

Each test writes what an envelope producer other than `enqueue` could write (a module to
import with a directory to import it from, a Django settings module, a TaskSpec) and
checks that nothing of it is imported, set up or run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests import broker_tasks
from weft_compat import WeftSubmission
from weft_compat._broker import DUE_QUEUE, get_broker, pending_queue, pool_key
from weft_compat._submit import prepare_call
from weft_compat.pool import stop_pool
from weft_compat.pool._registry import start_master

pytestmark = pytest.mark.broker


def planted_module(root: Path, name: str, marker: Path) -> None:
    """A module whose import leaves a marker: importing it is running its code."""
    (root / f"{name}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
    )


def envelope_message(**fields: object) -> str:
    body = {"task": "planted.job", "call": '{"args": [], "kwargs": {}}', "version": 1}
    body.update(fields)
    return json.dumps({"weft_compat": body})


def ended(call_id: int | str) -> WeftSubmission:
    handle = WeftSubmission.from_tid(str(call_id))
    handle.result(timeout=90)
    return handle


def test_a_pool_process_never_imports_the_module_an_envelope_names(
    weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "imported"
    planted_module(tmp_path, "planted", marker)
    # A pool for the queue is live, loading what this process registered.
    assert broker_tasks.add.using(queue="hand-written").enqueue(1, 1).wait(timeout=90) == 2
    key = pool_key("hand-written", os.environ.get("DJANGO_SETTINGS_MODULE"))
    message = envelope_message(
        module="planted",
        import_root=str(tmp_path),
        queue="hand-written",
        settings_module=os.environ.get("DJANGO_SETTINGS_MODULE"),
    )
    call_id = get_broker().write(pending_queue(key), message)
    handle = ended(call_id)
    assert handle.state == "FAILURE"
    assert handle.errors[0].exception_class_path == "weft_compat.exceptions.TaskNotRegistered"
    assert not marker.exists()


def test_a_call_naming_another_settings_module_is_refused_not_set_up(
    weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "settings-imported"
    planted_module(tmp_path, "planted_settings", marker)
    # A pool of no Django project: its processes must not set one up for a call.
    key = "hand-written-plain"
    start_master(key, 1, autostarted=False)
    try:
        prepared = prepare_call(broker_tasks.add, (2, 3), {})
        body = json.loads(prepared.envelope.to_json())
        body["weft_compat"] |= {"settings_module": "planted_settings", "queue": key}
        body["weft_compat"]["import_root"] = str(tmp_path)
        call_id = get_broker().write(pending_queue(key), json.dumps(body))
        handle = ended(call_id)
        assert handle.state == "FAILURE"
        [error] = handle.errors
        assert error.exception_class_path == "weft_compat.exceptions.CallRefused"
        assert "'planted_settings'" in error.message
        assert not marker.exists()
    finally:
        stop_pool(key)


def test_a_due_message_carrying_a_command_taskspec_never_runs_the_command(
    weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "touched"
    command_spec = {
        "name": "planted",
        "spec": {"type": "command", "process_target": "/usr/bin/touch", "args": [str(marker)]},
        "metadata": {},
    }
    message = envelope_message(
        task=broker_tasks.add.name,
        call=json.dumps({"args": [4, 5], "kwargs": {}}),
        lane="isolated",
        eta=time.time(),
        taskspec=command_spec,
    )
    # A mover is live (deferring a call makes sure of it), and submits the message.
    assert broker_tasks.add.using(countdown=0.1).enqueue(1, 1).wait(timeout=90) == 2
    call_id = get_broker().write(DUE_QUEUE, message)
    handle = ended(call_id)
    # The mover submitted the worker, built from the fixed template: it ran the task.
    assert handle.wait(timeout=30) == 9
    assert not marker.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("attempt", "1"), ("time_limit", "5"), ("headers", []), ("eta", float("inf"))],
)
def test_an_envelope_field_of_the_wrong_type_ends_that_call_and_the_pool_serves_on(
    field: str, value: object, weft_context: Path
) -> None:
    assert broker_tasks.add.using(queue="hand-written").enqueue(1, 1).wait(timeout=90) == 2
    key = pool_key("hand-written", os.environ.get("DJANGO_SETTINGS_MODULE"))
    message = envelope_message(task=broker_tasks.add.name, **{field: value})
    call_id = get_broker().write(pending_queue(key), message)
    handle = ended(call_id)
    assert handle.state == "FAILURE"
    assert field in handle.errors[0].message
    assert broker_tasks.add.using(queue="hand-written").enqueue(2, 2).wait(timeout=90) == 4
