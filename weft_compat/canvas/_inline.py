"""Workflows under a test mode: run inline (`immediate`) or recorded (`recording`).

The immediate mode runs the plan's steps one by one in this process, each as the mode
runs any call (validated, JSON round trip, hooks and signals), with the semantics of the
broker-backed run: results flow to the next step, a group's results are joined in
order, a failure stops what follows it and starts its errbacks. The recording mode
records the first steps' calls; nothing runs, and the other steps stay `PENDING`.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from typing import TYPE_CHECKING

from weft_compat import _serialization
from weft_compat._errors import TaskError
from weft_compat._outcome import Outcome
from weft_compat._states import REVOKED, SUCCESS
from weft_compat._submission import local_outcomes, local_tid
from weft_compat.canvas._handle import WorkflowSubmission, local_joins, local_plans
from weft_compat.canvas._plan import Plan, Target

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall
    from weft_compat._testmode import Mode

__all__ = ["run_in_mode"]

_STOPPED = "weft_compat.exceptions.WorkflowStopped"


def run_in_mode(plan: Plan, prepared: list[PreparedCall], mode: Mode) -> WorkflowSubmission:
    """Run (or record) `plan` under `mode`; returns its handle."""
    plan.id = local_tid()
    for step in plan.steps:
        step.id = local_tid()
        local_outcomes[step.id] = None
    for join in plan.joins:
        join.marker = int(local_tid())
    local_plans[plan.id] = plan
    if mode.publishes:  # recording: the first steps are what the caller enqueued
        for kind, index, _ in plan.roots:
            if kind == "step":
                plan.steps[index].id = mode.handle(prepared[index]).tid
        return WorkflowSubmission(plan.id, plan=plan)
    _Run(plan, prepared, mode).run()
    return WorkflowSubmission(plan.id, plan=plan)


class _Run:
    """One inline run of a plan."""

    def __init__(self, plan: Plan, prepared: list[PreparedCall], mode: Mode) -> None:
        self.plan = plan
        self.prepared = prepared
        self.mode = mode
        self.slots: dict[int, dict[int, str]] = {}
        self.pending: deque[tuple[Target, str | None]] = deque(
            (target, None) for target in plan.roots
        )

    def run(self) -> None:
        while self.pending:
            target, value = self.pending.popleft()
            kind, index, slot = target
            if kind == "step":
                self.step(index, value)
            elif kind == "slot":
                self.fill(index, slot, value)
            else:
                self.resolve(index, "[]")

    def step(self, index: int, value: str | None) -> None:
        step = self.plan.steps[index]
        if local_outcomes.get(step.id) is not None:
            return  # cancelled meanwhile
        prepared = self.prepared[index]
        if value is not None and not step.immutable:
            own = _serialization.decode(prepared.envelope.call)
            args = [_serialization.decode(value), *own["args"]]
            call = _serialization.encode_call(step.task, args, own["kwargs"])
            prepared = dataclasses.replace(
                prepared, envelope=dataclasses.replace(prepared.envelope, call=call)
            )
        del local_outcomes[step.id]
        step.id = self.mode.handle(prepared).tid
        outcome = local_outcomes.get(step.id)
        if outcome is not None and outcome.state == SUCCESS:
            for following in step.then:
                self.pending.append((following, outcome.value or "null"))
            return
        why = f"not run: step {step.id} ({step.task}) failed"
        self.stop(step.then, why, step.id)
        for errback in step.errbacks:
            self.pending.append((("step", errback, 0), json.dumps(step.id)))

    def fill(self, join: int, slot: int, value: str | None) -> None:
        if (self.plan.id, join) in local_joins:
            return
        filled = self.slots.setdefault(join, {})
        filled[slot] = value or "null"
        size = self.plan.joins[join].size
        if len(filled) == size:
            self.resolve(join, "[" + ",".join(filled[k] for k in range(size)) + "]")

    def resolve(self, join: int, value: str) -> None:
        local_joins[(self.plan.id, join)] = (value, None)
        for following in self.plan.joins[join].then:
            self.pending.append((following, value))

    def stop(self, targets: list[Target], why: str, failed: str) -> None:
        for kind, index, _ in targets:
            if kind == "step":
                step = self.plan.steps[index]
                error = TaskError(exception_class_path=_STOPPED, message=why, traceback="")
                local_outcomes[step.id] = Outcome(
                    REVOKED, error=error, status="cancelled", task=step.task
                )
                self.stop(step.then, why, failed)
            elif (self.plan.id, index) not in local_joins:
                local_joins[(self.plan.id, index)] = (None, failed)
                join = self.plan.joins[index]
                self.stop(
                    join.then, f"not run: step {failed} of the group before it failed", failed
                )
                for kind2, step_index, _ in join.then:
                    if kind2 == "step":
                        for errback in self.plan.steps[step_index].errbacks:
                            self.pending.append((("step", errback, 0), json.dumps(failed)))
