"""Canvas values without a broker: validation before anything is written, Celery's
names refused, the plan's JSON form, and both test modes."""

from __future__ import annotations

import re

import pytest

from tests import canvas_tasks as t
from weft_compat import WorkflowSubmission, chain, chord, group
from weft_compat.canvas import Chain, Group, Step
from weft_compat.canvas._plan import Plan
from weft_compat.exceptions import (
    CeleryNameRemoved,
    InvalidCallArguments,
    InvalidTaskId,
    UnsupportedOption,
    WorkflowFailed,
)
from weft_compat.testing import immediate, recording


def test_steps_compose_with_the_pipe_into_one_flat_chain() -> None:
    flow = t.add.step(1, 2) | t.add.step(3) | t.total.fixed_step([1])
    assert isinstance(flow, Chain) and len(flow.parts) == 3
    assert repr(flow) == (
        "tests.canvas_tasks.add.step(1, 2) | tests.canvas_tasks.add.step(3) | "
        "tests.canvas_tasks.total.fixed_step([1])"
    )
    assert isinstance(group(t.add.step(i, i) for i in range(3)), Group)
    assert isinstance(t.add.step(1), Step)


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("delay", "enqueue"),
        ("apply_async", "using(**options).enqueue"),
        ("set", "using(**options)"),
        ("si", "fixed_step"),
    ],
)
def test_celery_names_on_canvas_name_the_replacement(name: str, replacement: str) -> None:
    with pytest.raises(CeleryNameRemoved, match=re.escape(replacement)):
        getattr(t.add.step(1, 2), name)


def test_celery_signature_names_on_a_task_name_the_replacement() -> None:
    with pytest.raises(CeleryNameRemoved, match=r"tests.canvas_tasks.add.step"):
        t.add.s  # noqa: B018
    with pytest.raises(CeleryNameRemoved, match=r"fixed_step"):
        t.add.si  # noqa: B018


def test_calling_a_canvas_does_not_run_it() -> None:
    with pytest.raises(CeleryNameRemoved, match=r"\.enqueue"):
        chord([t.add.step(1, 1)], t.total.step())()


def test_chord_without_a_body_says_how_to_write_it() -> None:
    with pytest.raises(InvalidCallArguments, match=r"chord\(header, body\)\.enqueue\(\)"):
        chord([t.add.step(1, 1)])


def test_bad_steps_are_refused_before_anything_is_written() -> None:
    with recording() as recorder:
        with pytest.raises(InvalidCallArguments, match="cannot take the arguments"):
            chain(t.add.step(1, 1), t.add.step(1, 2)).enqueue()  # the second gets 3 values
        with pytest.raises(InvalidCallArguments, match="not 42"):
            group(t.add.step(1, 1), 42)  # type: ignore[arg-type]
        with pytest.raises(UnsupportedOption):
            t.add.step(1, 1).using(nonsense=True)
    assert recorder.submissions == []


def test_immediate_mode_runs_workflows_with_their_semantics() -> None:
    with immediate():
        assert chain(t.add.step(1, 2), t.add.step(10)).enqueue().return_value == 13
        flow = chord([t.add.step(i, 1) for i in range(4)], t.collect.step(tag="c")).enqueue()
        assert flow.return_value == {"values": [1, 2, 3, 4], "tag": "c"}
        grouped = group(chain(t.add.step(i, 0), t.add.step(1)) for i in range(3)).enqueue()
        assert grouped.results() == [1, 2, 3] and grouped.completed_count() == 3
        failing = (t.add.step(1, 1) | t.fails.step() | t.add.step(3)).enqueue()
        assert [step.state for step in failing.steps] == ["SUCCESS", "FAILURE", "REVOKED"]
        assert failing.failed() and failing.ready() and failing.state == "FAILURE"
        with pytest.raises(WorkflowFailed, match="failed on 2"):
            failing.wait()
        assert group([]).enqueue().return_value == []
        rebuilt = WorkflowSubmission.from_id(flow.id)
        assert rebuilt.return_value == flow.return_value


def test_immediate_mode_runs_a_chord_bodys_errback_once() -> None:
    with immediate():
        body = t.total.step().link_error(t.add.fixed_step(100, 1))
        flow = chord([t.fails.step(1), t.fails.step(2)], body).enqueue()
        states = [step.state for step in flow.steps]
        assert states == ["FAILURE", "FAILURE", "REVOKED", "SUCCESS"]
        assert flow.steps[3].return_value == 101


def test_recording_mode_records_the_first_steps_only() -> None:
    with recording() as recorder:
        flow = chain(group(t.add.step(1, 1), t.add.step(2, 2)), t.total.step()).enqueue()
    assert recorder.names() == ["tests.canvas_tasks.add", "tests.canvas_tasks.add"]
    assert [call.args for call in recorder.submissions] == [(1, 1), (2, 2)]
    assert flow.state == "PENDING" and not flow.ready()


def test_enqueue_arguments_go_to_the_first_steps() -> None:
    with immediate():
        assert (t.add.step(1) | t.add.step(2)).enqueue(10).return_value == 13
        assert group(t.add.step(1), t.add.step(2)).enqueue(10).return_value == [11, 12]


def test_a_plan_round_trips_through_json() -> None:
    with recording():
        flow = chord([t.add.step(1, 1), t.add.step(2, 2)], t.total.step()).enqueue()
    plan = flow.plan
    assert plan is not None
    again = Plan.from_json(plan.to_json())
    assert again.to_json() == plan.to_json()
    assert again.kind == "chord" and again.result == ("step", 2)


def test_a_workflow_id_is_checked() -> None:
    with pytest.raises(InvalidTaskId, match="'nope'"):
        WorkflowSubmission.from_id("nope")
