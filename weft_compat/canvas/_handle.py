"""`WorkflowSubmission`: the handle of a workflow, rebuilt from its id in any process.

It reads the plan from the workflow's record and each step's own handle, so it plays the
role of Celery's `GroupResult` (`GroupResult.restore(id)` is `from_id(id)`), and of the
`AsyncResult` of a chain's or chord's last task with its `parent` links (`steps`).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Final

from weft_compat import _serialization
from weft_compat._broker import get_broker
from weft_compat._lane import ENDED
from weft_compat._locate import locate
from weft_compat._outcome import SUBMITTED, Outcome, outcome_in, read_events
from weft_compat._states import FAILURE, PENDING, REVOKED, STARTED, SUCCESS, state_from_weft
from weft_compat._submission import WeftSubmission, local_outcomes
from weft_compat.canvas._plan import Node, Plan
from weft_compat.canvas._records import (
    cancel_record,
    continued_record,
    insert,
    load_plan,
    workflow_queue,
)
from weft_compat.exceptions import InvalidTaskId, ResultNotReady, WorkflowFailed

__all__ = ["WorkflowSubmission", "local_joins", "local_plans"]

_ID: Final = re.compile(r"\d{19}")
_POLL_SECONDS: Final = 0.005
_POLL_MAX_SECONDS: Final = 0.1
_FAILURE_LOOK_SECONDS: Final = 1.0

# Workflows run or recorded in this process by a test mode, and their resolved joins.
local_plans: dict[str, Plan] = {}
local_joins: dict[tuple[str, int], tuple[str | None, str | None]] = {}


class WorkflowSubmission:
    """The handle of one enqueued chain, group or chord."""

    __slots__ = ("_id", "_plan")

    def __init__(self, workflow_id: str, *, plan: Plan | None = None) -> None:
        if not isinstance(workflow_id, str) or not _ID.fullmatch(workflow_id):
            raise InvalidTaskId(
                f"{workflow_id!r} is not a workflow id; pass the 19-digit `id` of a "
                "WorkflowSubmission"
            )
        self._id = workflow_id
        self._plan = plan

    @classmethod
    def from_id(cls, workflow_id: str) -> WorkflowSubmission:
        """Rebuild the handle from its id (Celery's `GroupResult.restore(id)`)."""
        return cls(workflow_id)

    @property
    def id(self) -> str:
        """The workflow's id."""
        return self._id

    @property
    def plan(self) -> Plan | None:
        """The workflow's plan; None for an unknown (or expired) id."""
        if self._plan is None:
            self._plan = local_plans.get(self._id) or load_plan(self._id)
        return self._plan

    def exists(self) -> bool:
        """Whether the broker (or a test mode) knows this workflow."""
        return self.plan is not None

    @property
    def kind(self) -> str | None:
        """`chain`, `group`, `chord` or `step`: what was enqueued."""
        plan = self.plan
        return None if plan is None else plan.kind

    @property
    def steps(self) -> list[WeftSubmission]:
        """Every step's handle in the order the canvas names them (callbacks included);
        Celery's `result.parent` of a chain's last step is `steps[-2]`."""
        plan = self._known()
        return [WeftSubmission(step.id, step.task) for step in plan.steps]

    def _outcomes(self) -> list[Outcome | None]:
        # The outcome of each of the workflow's own steps (errbacks run only on failure).
        plan = self._known()
        errbacks = {index for step in plan.steps for index in step.errbacks}
        return [_outcome(step.id) for i, step in enumerate(plan.steps) if i not in errbacks]

    def ready(self) -> bool:
        """Whether every step has ended, run or not (a failure stops what follows it)."""
        return _ready(self._outcomes())

    def successful(self) -> bool:
        """Whether every step ended `SUCCESS`."""
        return _successful(self._outcomes())

    def failed(self) -> bool:
        """Whether a step failed."""
        return _failed(self._outcomes())

    @property
    def state(self) -> str:
        """`SUCCESS`, `FAILURE` (a step failed), `REVOKED`, `STARTED` (a step has run or
        runs) or `PENDING`."""
        return self._state(self._outcomes())

    def _state(self, outcomes: list[Outcome | None]) -> str:
        states = {outcome.state for outcome in outcomes if outcome is not None}
        if FAILURE in states:
            return FAILURE
        if _ready(outcomes):
            return SUCCESS if states <= {SUCCESS} else REVOKED
        if states or any(step.state != PENDING for step in self.steps):
            return STARTED
        return PENDING

    def completed_count(self) -> int:
        """How many of the workflow's parts (a group's members) ended `SUCCESS`."""
        plan = self._known()
        return sum(1 for part in plan.parts if self._resolved(part)[0] is not None)

    def _resolved(self, node: Node) -> tuple[str | None, str | None]:
        # (value JSON, None) once `node` succeeded; (None, failed id) once it failed.
        plan = self._known()
        kind, index = node
        if kind == "step":
            step = plan.steps[index]
            outcome = _outcome(step.id)
            if outcome is None:
                return None, None
            if outcome.state == SUCCESS:
                return outcome.value or "null", None
            return None, step.id
        local = local_joins.get((plan.id, index))
        if local is not None:
            return local
        marker = plan.joins[index].marker
        body = get_broker().peek_one(
            workflow_queue(plan.id), exact_timestamp=marker, with_timestamps=False
        )
        if body is None:
            return None, None
        data = json.loads(body)
        return data.get("value"), data.get("failed")

    @property
    def return_value(self) -> Any:
        """The workflow's result: the last step's value, or a group's list in order.

        Raises `ResultNotReady` until the workflow has succeeded.
        """
        value, failed = self._resolved(self._known().result)
        if value is None:
            why = f"step {failed} failed" if failed else "it has not ended"
            raise ResultNotReady(f"workflow {self._id} has no result: {why}")
        return _serialization.decode(value)

    def results(self) -> list[Any]:
        """Each part's value in order (None for a part without one yet): a group's members'
        results, as Celery's `GroupResult.results` read with `get()`."""
        plan = self._known()
        values = [self._resolved(part)[0] for part in plan.parts]
        return [None if value is None else _serialization.decode(value) for value in values]

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the workflow to end and return its result (Celery's `get()`).

        Raises `WorkflowFailed` naming the step that failed, and `TimeoutError` after
        `timeout` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        plan = self._known()
        interval = _POLL_SECONDS
        next_look = time.monotonic()
        while True:
            value, failed = self._resolved(plan.result)
            if value is not None:
                return _serialization.decode(value)
            # Every step's outcome costs a read each: looked at once a second.
            if failed is None and time.monotonic() >= next_look:
                next_look = time.monotonic() + _FAILURE_LOOK_SECONDS
                failed = "" if self.failed() else None
            if failed is not None:
                raise WorkflowFailed(self._failure())
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {self._id} has not ended within {timeout}s")
            time.sleep(interval)
            interval = min(interval * 1.5, _POLL_MAX_SECONDS)

    def _failure(self) -> str:
        for step in self.steps:
            if step.state in (FAILURE, REVOKED):
                errors = step.errors
                detail = f": {errors[0].message}" if errors else ""
                return f"workflow {self._id} failed at step {step.tid} ({step.name}){detail}"
        return f"workflow {self._id} failed"

    def revoke(self, *, terminate: bool = False) -> None:
        """Stop the workflow: steps not yet run never run, queued ones are cancelled,
        running ones are stopped with `terminate=True` (else they finish, and what
        follows them does not run)."""
        plan = self._known()
        for index, step in enumerate(plan.steps):
            if _outcome(step.id) is not None:
                continue
            if step.id in local_outcomes:  # recorded by a test mode: it never runs
                local_outcomes[step.id] = Outcome(REVOKED, status="cancelled", task=step.task)
                continue
            handle = WeftSubmission(step.id, step.task)
            status = handle.status()
            if status in (None, "created"):
                # Not started yet: whoever starts it later finds it ended and runs nothing.
                records = [cancel_record(plan, index, f"not run: workflow {plan.id} was revoked")]
                if not step.marker:
                    insert(records)
                    continue
                # The revoke covers what follows it: nothing to move on (unless its end
                # was acted on already: an errback that will never start).
                records.append(continued_record(plan, index))
                insert(records, marker=(workflow_queue(plan.id), step.marker))
            elif status != "running" or terminate:
                handle.stop()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for views: id, kind, state, counts, each step's summary."""
        plan = self.plan
        if plan is None:
            return {"id": self._id, "exists": False}
        outcomes = self._outcomes()
        body: dict[str, Any] = {
            "id": self._id,
            "exists": True,
            "kind": plan.kind,
            "state": self._state(outcomes),
            "ready": _ready(outcomes),
            "successful": _successful(outcomes),
            "failed": _failed(outcomes),
            "completed_count": self.completed_count(),
            "total": len(plan.parts),
            "steps": [step.as_dict() for step in self.steps],
        }
        if body["successful"]:
            body["result"] = _serialization.json_ready(self.return_value)
        return body

    def _known(self) -> Plan:
        plan = self.plan
        if plan is None:
            raise ResultNotReady(f"workflow {self._id} is unknown (or its record expired)")
        return plan

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkflowSubmission) and other._id == self._id

    def __hash__(self) -> int:
        return hash(self._id)

    def __repr__(self) -> str:
        return f"<WorkflowSubmission {self.kind or '?'} {self._id}>"


def _ready(outcomes: list[Outcome | None]) -> bool:
    return all(outcome is not None for outcome in outcomes)


def _successful(outcomes: list[Outcome | None]) -> bool:
    return all(outcome is not None and outcome.state == SUCCESS for outcome in outcomes)


def _failed(outcomes: list[Outcome | None]) -> bool:
    return any(outcome is not None and outcome.state == FAILURE for outcome in outcomes)


def _outcome(call_id: str) -> Outcome | None:
    # The step's stored outcome; for an isolated step whose process was lost (so nothing
    # stored one), the end Weft saw.
    if call_id in local_outcomes:
        return local_outcomes[call_id]
    events = read_events(call_id)
    outcome = outcome_in(events)
    if outcome is not None or not any(event.get("event") == SUBMITTED for event in events):
        return outcome
    location = locate(call_id)
    if location.outcome is not None:
        return location.outcome
    if location.status in ENDED:
        return Outcome(state_from_weft(location.status), status=location.status)
    return None
