"""Starting a workflow: compile the canvas, store its plan, start its first steps.

Everything is validated and encoded before anything is written (a bad step refuses the
whole workflow). Then one broker transaction writes the plan, the workflow's entry among
the open ones (which movers sweep), a `waiting` event on every step's record (so each
step's handle exists, `PENDING`, from the start) and the first steps' starts; a mover
submits them in their lanes. In a test mode the plan runs here
instead: inline (`immediate`) or recorded (`recording`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from weft_compat import _testmode
from weft_compat._broker import MOVER_BELL, OPEN_WORKFLOWS, call_record, get_broker
from weft_compat._doorbell import ring
from weft_compat._worker_config import WorkerConfig
from weft_compat.canvas._advance import deliver
from weft_compat.canvas._handle import WorkflowSubmission
from weft_compat.canvas._inline import run_in_mode
from weft_compat.canvas._plan import Builder, Node, Plan, Target
from weft_compat.canvas._records import (
    WAITING,
    Record,
    insert,
    start_records,
    workflow_queue,
)
from weft_compat.due._registry import ensure_mover

if TYPE_CHECKING:
    from weft_compat.canvas._steps import Canvas

__all__ = ["Incoming", "start_workflow"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a piece of canvas receives: the enqueue's arguments (`given`), or a value
    later (`later`: the previous step's result), or nothing."""

    given: tuple[tuple[Any, ...], dict[str, Any]] | None = None
    later: bool = False

    LATER: ClassVar[Incoming]
    NOTHING: ClassVar[Incoming]


Incoming.LATER = Incoming(later=True)
Incoming.NOTHING = Incoming()


def start_workflow(
    canvas: Canvas, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> WorkflowSubmission:
    """Compile `canvas` with `args`/`kwargs` for its first steps and start it."""
    builder = Builder()
    incoming = Incoming(given=(args, kwargs)) if args or kwargs else Incoming.NOTHING
    piece = canvas.build(builder, {}, incoming)
    plan = Plan(
        id="",
        kind=canvas.kind,
        steps=builder.steps,
        joins=builder.joins,
        roots=piece.entries,
        result=piece.end,
        parts=_parts(canvas, builder, piece.end),
        created=time.time(),
    )
    mode = _testmode.active_mode()
    if mode is not None:
        return run_in_mode(plan, builder.prepared, mode)
    broker = get_broker()
    plan.id = str(broker.generate_timestamp())
    for step in plan.steps:
        step.id = str(broker.generate_timestamp())
        step.marker = broker.generate_timestamp()
    for join in plan.joins:
        join.marker = broker.generate_timestamp()
    # Under the workflow's own id, the oldest of its ids: the queue's first message.
    records: list[Record] = [
        (workflow_queue(plan.id), plan.to_json(), int(plan.id)),
        (OPEN_WORKFLOWS, json.dumps({"workflow": plan.id}), None),
    ]
    now = time.time()
    first = {index for kind, index, _ in plan.roots if kind == "step"}
    waiting = {"event": WAITING, "workflow": plan.id}
    records += [
        (call_record(step.id), json.dumps({**waiting, "task": step.task}), None)
        for index, step in enumerate(plan.steps)
        if index not in first
    ]
    touched: list[int] = []
    for target in plan.roots:
        kind, index, _ = target
        if kind == "step":  # queued under its own id, as a deferred call
            records += start_records(plan, index, None, now, first=True)
        else:
            records += deliver(plan, target, None, now, touched)
    need = _need(builder)
    ensure_mover(need=need)
    insert(records)
    ring(MOVER_BELL)
    return WorkflowSubmission(plan.id, plan=plan)


def _need(builder: Builder) -> WorkerConfig:
    # What the workflow's workers must load: every step's task's configuration.
    return WorkerConfig().union(*(prepared.task.worker_config for prepared in builder.prepared))


def _parts(canvas: Canvas, builder: Builder, end: Node) -> list[Node]:
    # A group's handle lists what fills each of its slots, in order; any other canvas
    # its one end.
    if canvas.kind != "group" or end[0] != "join":
        return [end]
    join = end[1]
    fillers: dict[int, Node] = {}
    owners: list[tuple[Node, list[Target]]] = [
        *((("step", index), step.then) for index, step in enumerate(builder.steps)),
        *((("join", index), each.then) for index, each in enumerate(builder.joins)),
    ]
    for node, targets in owners:
        for kind, target_join, slot in targets:
            if kind == "slot" and target_join == join:
                fillers[slot] = node
    return [fillers[slot] for slot in sorted(fillers)]
