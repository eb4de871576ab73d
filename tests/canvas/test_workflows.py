"""Workflows on real Weft, in both lanes: chains, groups, chords, failures, lost
workers, retries, nesting, revoke, and handles rebuilt in another process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import canvas_tasks as t
from tests.conftest import run_python, wait_for_state
from weft_compat import WeftSubmission, WorkflowSubmission, chain, chord, group
from weft_compat._broker import OPEN_WORKFLOWS, get_broker
from weft_compat._outcome import read_outcome
from weft_compat._worker_config import WorkerConfig
from weft_compat.canvas._advance import deliver, sweep_joins
from weft_compat.canvas._records import insert
from weft_compat.canvas._sweep import sweep_steps
from weft_compat.exceptions import WorkflowFailed

pytestmark = pytest.mark.broker

TIMEOUT = 120
LANES = ["pooled", "isolated"]


@pytest.fixture(autouse=True)
def context(weft_context: Path) -> Path:
    return weft_context


def swept_until(condition: Callable[[], bool]) -> None:
    """Sweep the open workflows (as movers do every few seconds) until `condition`."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "the workflow was never moved on"
        sweep_steps(WorkerConfig())
        time.sleep(0.2)


def still_open(workflow: WorkflowSubmission) -> bool:
    """Whether `workflow` is among those movers sweep (some step's end not acted on)."""
    bodies = get_broker().peek_many(OPEN_WORKFLOWS, 10_000, with_timestamps=False)
    return any(json.loads(body)["workflow"] == workflow.id for body in bodies)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def in_lane(task: Any, lane: str) -> Any:
    return task.using(lane=lane)


@pytest.mark.parametrize("lane", LANES)
def test_a_chain_of_five_passes_each_result_on(lane: str) -> None:
    add = in_lane(t.add, lane)
    workflow = chain(add.step(1, 1), *(add.step(10) for _ in range(4))).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == 42
    assert workflow.successful() and workflow.ready() and workflow.state == "SUCCESS"
    assert sweep_steps(WorkerConfig()) == 0 and not still_open(workflow)
    steps = workflow.steps
    assert [WeftSubmission.from_tid(step.tid).return_value for step in steps] == [
        2,
        12,
        22,
        32,
        42,
    ]


def test_a_group_of_fifty_returns_its_results_in_order() -> None:
    workflow = group(t.add.step(i, i) for i in range(50)).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == [2 * i for i in range(50)]
    assert workflow.completed_count() == 50
    assert workflow.results() == [2 * i for i in range(50)]


def test_a_chord_of_a_hundred_gets_the_results_in_header_order() -> None:
    workflow = chord((t.add.step(i, 0) for i in range(100)), t.collect.step(tag="x")).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == {"values": list(range(100)), "tag": "x"}
    assert workflow.kind == "chord"


@pytest.mark.slow
def test_a_group_and_a_chord_in_the_isolated_lane() -> None:
    add = t.add.using(lane="isolated")
    assert group(add.step(i, i) for i in range(50)).enqueue().wait(timeout=600) == [
        2 * i for i in range(50)
    ]
    body = t.total.using(lane="isolated").step()
    assert chord((add.step(i, 0) for i in range(100)), body).enqueue().wait(timeout=900) == 4950


@pytest.mark.parametrize("lane", LANES)
def test_a_failure_stops_the_chain_and_runs_its_errback_once(lane: str, tmp_path: Path) -> None:
    later, errors = tmp_path / "later", tmp_path / "errors"
    failing = in_lane(t.fails, lane).step().link_error(t.note.fixed_step(str(errors), "err"))
    workflow = chain(
        in_lane(t.add, lane).step(1, 1), failing, t.note_then.step(str(later))
    ).enqueue()
    with pytest.raises(WorkflowFailed, match="failed on 2"):
        workflow.wait(timeout=TIMEOUT)
    first, failed, errback, stopped = workflow.steps
    assert first.state == "SUCCESS" and failed.state == "FAILURE"
    assert stopped.state == "REVOKED"
    why = read_outcome(stopped.tid)
    assert why is not None and why.error is not None
    assert why.error.exception_class_path == "weft_compat.exceptions.WorkflowStopped"
    assert failed.tid in why.error.message
    errback.wait(timeout=TIMEOUT)
    assert workflow.ready() and workflow.failed() and workflow.state == "FAILURE"
    assert lines(later) == []
    assert len(lines(errors)) == 1


def test_an_errback_receives_the_id_of_the_failed_call(tmp_path: Path) -> None:
    errors = tmp_path / "errors"
    workflow = t.fails.step(7).link_error(t.note_then.step(str(errors))).enqueue()
    failed, errback = workflow.steps
    with pytest.raises(WorkflowFailed, match="failed on 7"):
        workflow.wait(timeout=TIMEOUT)
    assert errback.wait(timeout=TIMEOUT) == failed.tid
    assert lines(errors) == [repr(failed.tid)]


@pytest.mark.parametrize("lane", LANES)
def test_a_failing_chord_member_skips_the_body_and_runs_its_errbacks_once(
    lane: str, tmp_path: Path
) -> None:
    body_ran, errors = tmp_path / "body", tmp_path / "errors"
    add, fails = in_lane(t.add, lane), in_lane(t.fails, lane)
    header = [add.step(1, 1), fails.step(2), add.step(3, 3), fails.step(4)]
    body = t.note_then.step(str(body_ran)).link_error(t.note.fixed_step(str(errors), "e"))
    workflow = chord(header, body).enqueue()
    with pytest.raises(WorkflowFailed):
        workflow.wait(timeout=TIMEOUT)
    steps = workflow.steps
    body_handle, errback = steps[4], steps[5]
    errback.wait(timeout=TIMEOUT)
    for step in steps[:4]:
        step.result(timeout=TIMEOUT)
    assert body_handle.state == "REVOKED"
    assert lines(body_ran) == []
    assert len(lines(errors)) == 1
    assert workflow.ready() and workflow.failed()
    swept_until(lambda: not still_open(workflow))
    assert len(lines(errors)) == 1


def test_a_retrying_step_delays_the_chain_without_breaking_it(tmp_path: Path) -> None:
    marker = tmp_path / "retried"
    workflow = chain(t.add.step(1, 1), t.flaky_step.step(str(marker)), t.add.step(10)).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == 13
    assert marker.exists()
    assert workflow.steps[1].retries == 1


@pytest.mark.parametrize("lane", LANES)
def test_a_worker_killed_inside_a_step_runs_the_next_step_once(lane: str, tmp_path: Path) -> None:
    marker, after = tmp_path / "died", tmp_path / "after"
    dying = in_lane(t.die_once, lane).step(str(marker))
    workflow = chain(t.add.step(2, 3), dying, t.note_then.step(str(after))).enqueue()
    if lane == "isolated":
        # An isolated call whose process is killed fails (Celery's WorkerLostError):
        # nothing after it runs, and the workflow ends.
        with pytest.raises(WorkflowFailed):
            workflow.wait(timeout=TIMEOUT)
        swept_until(lambda: not still_open(workflow))
        assert workflow.ready()
        killed, stopped = workflow.steps[1], workflow.steps[2]
        assert killed.state == "FAILURE" and stopped.state == "REVOKED"
        lost = read_outcome(killed.tid)
        assert lost is not None and lost.error is not None
        assert lost.error.exception_class_path == "weft_compat.exceptions.WorkerLostError"
        assert sweep_steps(WorkerConfig()) == 0  # acted on once
        assert lines(after) == []
        return
    assert workflow.wait(timeout=TIMEOUT) == 5
    assert marker.exists()
    assert lines(after) == ["5"]


def test_a_worker_killed_inside_a_chord_member_runs_the_body_once(tmp_path: Path) -> None:
    marker, body_ran = tmp_path / "died", tmp_path / "body"
    header = [t.add.step(1, 1), t.die_once.step(5, str(marker)), t.add.step(2, 2)]
    workflow = chord(header, t.note_then.step(str(body_ran))).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == [2, 5, 4]
    assert lines(body_ran) == ["[2, 5, 4]"]


def test_nested_canvas() -> None:
    inner = chain(t.add.step(1), t.add.step(1))
    workflow = chain(
        t.add.step(1, 1),
        group(t.add.step(10), inner, chord([t.add.step(i) for i in range(3)], t.total.step())),
        t.collect.step(),
    ).enqueue()
    # 2 goes to every member: 2+10, 2+1+1, and the chord's header members 2+0, 2+1, 2+2.
    assert workflow.wait(timeout=TIMEOUT) == {"values": [12, 4, 9], "tag": ""}


def test_a_group_of_chains_and_an_empty_group() -> None:
    workflow = group(chain(t.add.step(i, 1), t.add.step(i)) for i in range(4)).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == [2 * i + 1 for i in range(4)]
    assert group([]).enqueue().wait(timeout=TIMEOUT) == []
    assert chord([], t.total.step()).enqueue().wait(timeout=TIMEOUT) == 0


def test_link_starts_a_callback_with_the_result(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    workflow = t.add.step(20, 22).link(t.note_then.step(str(seen))).enqueue()
    assert workflow.wait(timeout=TIMEOUT) == 42
    workflow.steps[1].wait(timeout=TIMEOUT)
    assert lines(seen) == ["42"]


def test_revoking_a_workflow_revokes_what_has_not_run(tmp_path: Path) -> None:
    after = tmp_path / "after"
    workflow = chain(t.pause.step(1, 30), t.note_then.step(str(after)), t.add.step(1)).enqueue()
    first = workflow.steps[0]
    wait_for_state(first, "STARTED")
    workflow.revoke(terminate=True)
    first.result(timeout=TIMEOUT)
    assert [step.state for step in workflow.steps] == ["REVOKED"] * 3
    assert workflow.ready() and not workflow.successful()
    assert lines(after) == []


def test_revoking_one_running_step_stops_what_follows_it_without_errbacks(
    tmp_path: Path,
) -> None:
    after, errors = tmp_path / "after", tmp_path / "errors"
    first = t.pause.step(1, 30).link_error(t.note.fixed_step(str(errors), "e"))
    workflow = chain(first, t.note_then.step(str(after)), t.add.step(1)).enqueue()
    running = workflow.steps[0]
    wait_for_state(running, "STARTED")
    running.kill()
    swept_until(lambda: not still_open(workflow))
    # The errback never starts (PENDING, as Celery leaves an errback it never calls).
    assert [step.state for step in workflow.steps] == ["REVOKED", "PENDING", "REVOKED", "REVOKED"]
    assert workflow.ready() and not workflow.successful()
    assert lines(after) == [] and lines(errors) == []


def test_a_step_revoked_while_it_waits_never_runs_and_stops_the_chain(tmp_path: Path) -> None:
    after = tmp_path / "after"
    workflow = chain(t.pause.step(1, 1), t.note_then.step(str(after)), t.add.step(1)).enqueue()
    waiting = workflow.steps[1]
    assert waiting.state == "PENDING"
    waiting.stop()
    assert workflow.steps[0].wait(timeout=TIMEOUT) == 1
    swept_until(lambda: not still_open(workflow))
    assert [step.state for step in workflow.steps] == ["SUCCESS", "REVOKED", "REVOKED"]
    assert workflow.ready()
    assert lines(after) == []


def test_a_step_that_expires_before_its_turn_stops_the_chain(tmp_path: Path) -> None:
    after = tmp_path / "after"
    late = t.note_then.using(expires=0.5).step(str(after))
    workflow = chain(t.pause.step(1, 1.5), late, t.add.step(1)).enqueue()
    swept_until(lambda: not still_open(workflow))
    assert [step.state for step in workflow.steps] == ["SUCCESS", "REVOKED", "REVOKED"]
    assert lines(after) == []


def test_a_workflow_handle_rebuilt_in_another_process(context: Path) -> None:
    workflow = group(t.add.step(i, 1) for i in range(3)).enqueue()
    workflow.wait(timeout=TIMEOUT)
    script = (
        "import json, sys\n"
        "from weft_compat import WorkflowSubmission\n"
        "print(json.dumps(WorkflowSubmission.from_id(sys.argv[1]).as_dict()))\n"
    )
    done = run_python(script, workflow.id, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["state"] == "SUCCESS" and body["result"] == [1, 2, 3]
    assert body["completed_count"] == 3 and len(body["steps"]) == 3
    assert WorkflowSubmission.from_id(workflow.id) == workflow


def test_a_join_left_full_by_a_lost_worker_is_settled_by_the_sweep(tmp_path: Path) -> None:
    body_ran = tmp_path / "body"
    # Members due in an hour: they do not run during the test (revoked at its end).
    header = [t.add.step(1, 1).using(countdown=3600), t.add.step(2, 2).using(countdown=3600)]
    workflow = chord(header, t.note_then.step(str(body_ran))).enqueue()
    plan = workflow.plan
    assert plan is not None
    # Both members' results in their slots, as their workers wrote them before being
    # lost, never settling the join.
    touched: list[int] = []
    records = []
    for index in range(2):
        records += deliver(plan, plan.steps[index].then[0], json.dumps(index + 10), 0.0, touched)
    insert(records)
    # This sweep, or a mover's own (every 10 s), settles it: once either way.
    sweep_joins(WorkerConfig())
    body = workflow.steps[2]
    assert body.wait(timeout=TIMEOUT) == [10, 11]
    assert sweep_joins(WorkerConfig()) == 0  # resolved: nothing left to settle
    assert lines(body_ran) == ["[10, 11]"]
    workflow.revoke(terminate=True)
    for step in workflow.steps[:2]:
        step.result(timeout=TIMEOUT)
