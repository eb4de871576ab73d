"""Moving on workflows whose steps ended where no worker could act on it.

A step's worker acts on the step's end in the transaction that stores its outcome
(`_advance.finish_step`). Some ends are written elsewhere: a revoke of one step, a call
that expired or was refused before it ran, a pooled call lost for good; and an isolated
step whose process was killed, or that ran past its hard time limit, ends in Weft with
no outcome at all. Movers sweep the open workflows every few seconds (`sweep_steps`):
a step that ended without its end's mark gets its continuation (`continue_step`), an
isolated step that Weft reports ended without an outcome first gets one (Celery's
`WorkerLostError`, or `TimeLimitExceeded`). The mark is written once, so a continuation
happens once however many movers sweep. A workflow all of whose steps are marked leaves
the open ones.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Final

from weft_compat._broker import OPEN_WORKFLOWS, get_broker, workflow_queue
from weft_compat._client import get_client
from weft_compat._config import current_settings
from weft_compat._errors import TaskError
from weft_compat._lane import ENDED
from weft_compat._locate import current_attempt
from weft_compat._outcome import SUBMITTED, Outcome, outcome_in, read_events
from weft_compat._states import FAILURE
from weft_compat._worker_config import WorkerConfig
from weft_compat.canvas._advance import continue_step
from weft_compat.canvas._plan import Plan, PlanStep
from weft_compat.canvas._records import load_plan

__all__ = ["sweep_steps"]

_log = logging.getLogger(__name__)
_OPEN_READ: Final = 10_000
_MARKS_READ: Final = 1_000_000
_LOST: Final = "weft_compat.exceptions.WorkerLostError"
_TIME_LIMIT: Final = "weft_compat.exceptions.TimeLimitExceeded"


def sweep_steps(need: WorkerConfig) -> int:
    """Act on every ended step of an open workflow whose end nobody acted on; returns
    how many steps were moved on."""
    broker = get_broker()
    moved = 0
    expires = current_settings().RESULT_EXPIRES
    for body, entry_id in broker.peek_many(OPEN_WORKFLOWS, _OPEN_READ, with_timestamps=True):
        plan = load_plan(str(json.loads(body).get("workflow")))
        marks = (
            set()
            if plan is None
            else {
                message_id
                for _, message_id in broker.peek_many(
                    workflow_queue(plan.id),
                    _MARKS_READ,
                    with_timestamps=True,
                    after_timestamp=int(plan.id),  # the marks only, not the plan
                )
            }
        )
        unmarked = [] if plan is None else _unmarked(plan, marks)
        if not unmarked:  # Over (or its record expired): nothing is left to move on.
            broker.delete_message_ids(OPEN_WORKFLOWS, [entry_id])
            continue
        assert plan is not None
        for index in unmarked:
            try:
                moved += _move_on(plan, index, need=need, expires=expires)
            except Exception:
                _log.exception("could not move workflow %s on from step %s", plan.id, index)
    return moved


def _unmarked(plan: Plan, marks: set[int]) -> list[int]:
    # A plan stored without step marks is left to its workers, as it was written.
    return [
        index for index, step in enumerate(plan.steps) if step.marker and step.marker not in marks
    ]


def _move_on(plan: Plan, index: int, *, need: WorkerConfig, expires: float) -> int:
    step = plan.steps[index]
    events = read_events(step.id)
    outcome = outcome_in(events)
    store = False
    if outcome is None:
        outcome = _lost(step, events)
        if outcome is None:
            return 0
        store = True
    return int(continue_step(plan, index, outcome, store=store, expires=expires, need=need))


def _lost(step: PlanStep, events: list[dict[str, Any]]) -> Outcome | None:
    # An isolated step's Weft task that ended without storing an outcome: its process was
    # killed, or ran past its hard time limit. The record is read again after Weft's
    # view, since a worker stores the outcome before its task ends.
    attempt = current_attempt(step.id, events)
    if not any(
        event.get("event") == SUBMITTED and str(event.get("attempt_id")) == attempt
        for event in events
    ):
        return None
    snapshot = get_client().task(attempt).snapshot()
    if snapshot is None or snapshot.status not in ENDED:
        return None
    if outcome_in(read_events(step.id)) is not None:
        return None  # Stored meanwhile: acted on by its worker, or by the next sweep.
    if snapshot.status == "timeout":
        error = TaskError(
            exception_class_path=_TIME_LIMIT,
            message=f"step {step.id} ({step.task}) exceeded its hard time limit and was ended",
            traceback="",
        )
    else:
        error = TaskError(
            exception_class_path=_LOST,
            message=(
                f"the process running step {step.id} ({step.task}) ended without an "
                f"outcome (Weft reports it {snapshot.status})"
            ),
            traceback=snapshot.error or "",
        )
    return Outcome(
        FAILURE, error=error, status=snapshot.status, task=step.task, date_done=time.time()
    )
