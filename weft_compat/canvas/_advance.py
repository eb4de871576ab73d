"""Moving a workflow on when one of its steps ends: the durable, exactly-once part.

When a step ends, its worker writes the step's outcome and everything that follows from
it in one broker transaction (`finish_step`, `continue_step`): on success, the next
steps' starts and the result in its join's slot; on failure, the cancelled outcome of
every later step of its chain, a failure in its join's slot, and (unless it was
revoked) its errbacks' starts; and the step's mark, under its own message id, so its end
is acted on once. A worker lost before the commit wrote nothing (the call is redelivered
or ends as lost); after it, everything. An end stored elsewhere (a revoke, an expiry, a
lost isolated process) is acted on by the movers' sweep (`_sweep`).

A join resolves when its slots are full, or at its first failure (`settle_join`): the
resolution (the join's marker, the next steps' starts or their cancellation, the chord
body's errbacks) is one transaction guarded by the marker's message id, so it happens
once however many members see the join full or failed. Whoever fills the last slot
settles it at once; movers settle any join left full by a worker lost between the two
transactions (`sweep_joins`), so a chord never waits on a poll and never gets stuck.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from typing import Final

from weft_compat._broker import MOVER_BELL, call_record, get_broker
from weft_compat._config import current_settings
from weft_compat._doorbell import ring
from weft_compat._envelope import Envelope
from weft_compat._expiry import note_ended
from weft_compat._outcome import Outcome, read_outcome
from weft_compat._states import REVOKED, SUCCESS
from weft_compat._worker_config import WorkerConfig
from weft_compat.canvas._plan import Plan, Target
from weft_compat.canvas._records import (
    Record,
    cancel_record,
    continued_record,
    insert,
    join_prefix,
    join_queue,
    load_plan,
    marker_body,
    start_records,
    workflow_queue,
)
from weft_compat.due._registry import ensure_mover

__all__ = [
    "continue_step",
    "deliver",
    "finish_step",
    "settle_join",
    "sweep_joins",
    "unreached",
]

_log = logging.getLogger(__name__)
_SLOTS_READ: Final = 100_000


def deliver(
    plan: Plan, target: Target, value: str | None, now: float, touched: list[int]
) -> list[Record]:
    """The writes that hand `value` (JSON text) to `target`; joins given a slot are
    added to `touched`, for settling once the writes commit."""
    kind, index, slot = target
    if kind == "step":
        # A step revoked while it waited is started all the same: its worker finds it
        # ended and runs nothing, as for any revoked call.
        return start_records(plan, index, value, now)
    if kind == "slot":
        touched.append(index)
        body = json.dumps({"slot": slot, "value": value if value is not None else "null"})
        return [(join_queue(plan.id, index), body, None)]
    # An empty group: it resolves to [] as soon as it is reached.
    join = plan.joins[index]
    records: list[Record] = [(workflow_queue(plan.id), marker_body(index, "[]", None), join.marker)]
    for following in join.then:
        records += deliver(plan, following, "[]", now, touched)
    return records


def finish_step(
    envelope: Envelope,
    record: str,
    outcome: Outcome,
    *,
    expires: float,
    batched: bool,
    need: WorkerConfig,
) -> None:
    """Store the ended step's outcome together with what follows from it."""
    workflow = envelope.workflow or {}
    plan = load_plan(str(workflow.get("id")))
    if outcome.date_done is None:
        outcome = dataclasses.replace(outcome, date_done=time.time())
    if plan is None:  # The workflow's record expired or was purged: the call stands alone.
        insert([(call_record(record), outcome.to_json(), None)])
        note_ended(record, expires, batched=batched)
        return
    continue_step(plan, int(workflow["step"]), outcome, store=True, expires=expires, need=need)
    note_ended(record, expires, batched=batched)


def continue_step(
    plan: Plan,
    index: int,
    outcome: Outcome,
    *,
    store: bool,
    expires: float,
    need: WorkerConfig,
) -> bool:
    """Act on the end of step `index` (storing its `outcome` too, with `store`), once:
    on success its result goes on; otherwise its later steps are stopped and, unless it
    was revoked, its errbacks start. False if its end was acted on already (the outcome
    is then not stored: the first one written stands)."""
    step = plan.steps[index]
    records: list[Record] = [(call_record(step.id), outcome.to_json(), None)] if store else []
    if step.marker:
        records.append(continued_record(plan, index))
    touched: list[int] = []
    cancelled: list[str] = []
    now = time.time()
    if outcome.state == SUCCESS:
        value = outcome.value if outcome.value is not None else "null"  # ignore_result
        for target in step.then:
            records += deliver(plan, target, value, now, touched)
        records += unreached(plan, step.errbacks)
    else:
        revoked = outcome.state == REVOKED
        why = f"not run: step {step.id} ({step.task}) ended {outcome.state}"
        records += _stop(plan, step.then, why, step.id, touched, cancelled, revoked=revoked)
        if revoked:
            records += unreached(plan, step.errbacks)
        else:
            for errback in step.errbacks:
                records += start_records(plan, errback, json.dumps(step.id), now)
    guard = (workflow_queue(plan.id), step.marker) if step.marker else None
    if not insert(records, marker=guard):
        return False
    for call_id in cancelled:
        note_ended(call_id, expires, batched=True)
    if len(records) > 1:
        ensure_mover(need=need)
        ring(MOVER_BELL)
    for join in touched:
        settle_join(plan, join, need=need, expires=expires, failure=outcome.state != SUCCESS)
    return True


def _stop(
    plan: Plan,
    targets: list[Target],
    why: str,
    failed: str,
    touched: list[int],
    cancelled: list[str],
    *,
    revoked: bool,
    starting: frozenset[int] = frozenset(),
) -> list[Record]:
    # The steps that will never run, up to the joins reached (which get the failure),
    # and their errbacks but those `starting`. A step that ended already (revoked while
    # it waited) is left to its own end's continuation.
    records: list[Record] = []
    for kind, index, slot in targets:
        if kind == "step":
            step = plan.steps[index]
            if read_outcome(step.id) is not None:
                continue
            records.append(cancel_record(plan, index, why))
            if step.marker:
                records.append(continued_record(plan, index))
            cancelled.append(step.id)
            records += unreached(plan, [each for each in step.errbacks if each not in starting])
            records += _stop(plan, step.then, why, failed, touched, cancelled, revoked=revoked)
        elif kind == "slot":
            touched.append(index)
            body = json.dumps({"slot": slot, "failed": failed, "revoked": revoked})
            records.append((join_queue(plan.id, index), body, None))
    return records


def unreached(plan: Plan, indices: list[int]) -> list[Record]:
    """The marks of steps `indices` and of all that would follow them, which will never
    start (the errbacks of a step that did not fail): left `PENDING`, as Celery leaves an
    errback it never calls, and acted on, so the workflow can be over."""
    records: list[Record] = []
    pending = list(indices)
    seen: set[int] = set()
    while pending:
        index = pending.pop()
        if index in seen:
            continue
        seen.add(index)
        step = plan.steps[index]
        if step.marker:
            records.append(continued_record(plan, index))
        following, _ = plan.downstream(step.then)
        pending += following
        pending += step.errbacks
    return records


def settle_join(
    plan: Plan, index: int, *, need: WorkerConfig, expires: float, failure: bool = True
) -> None:
    """Resolve join `index` if its slots are full or one failed (once, whoever asks).

    With `failure=False` the caller has just filled a slot with a result: the slots are
    read only once they are as many as the join has (a count, not a read, per member).
    """
    broker = get_broker()
    queue = join_queue(plan.id, index)
    join = plan.joins[index]
    if not failure and broker.get_queue_stat(queue).pending < join.size:
        return
    slots: dict[int, str] = {}
    failed: str | None = None
    revoked = True  # Whether every failure is a revoke (then no errback runs).
    for body in broker.peek_many(queue, _SLOTS_READ, with_timestamps=False):
        data = json.loads(body)
        if "failed" in data:
            failed = failed or str(data["failed"])
            revoked = revoked and bool(data.get("revoked"))
        else:
            slots[int(data["slot"])] = data["value"]
    if failed is None and len(slots) < join.size:
        return
    touched: list[int] = []
    cancelled: list[str] = []
    now = time.time()
    if failed is None:
        value = "[" + ",".join(slots[slot] for slot in range(join.size)) + "]"
        marked = marker_body(index, value, None)
        records: list[Record] = [(workflow_queue(plan.id), marked, join.marker)]
        for target in join.then:
            records += deliver(plan, target, value, now, touched)
    else:
        why = f"not run: step {failed} of the group before it failed"
        records = [(workflow_queue(plan.id), marker_body(index, None, failed), join.marker)]
        # A chord body's errbacks run when its header fails (not when it was revoked).
        starting = frozenset(
            errback
            for kind, step, _ in join.then
            if kind == "step" and not revoked
            for errback in plan.steps[step].errbacks
        )
        records += _stop(
            plan, join.then, why, failed, touched, cancelled, revoked=revoked, starting=starting
        )
        for errback in sorted(starting):
            records += start_records(plan, errback, json.dumps(failed), now)
    if not insert(records, marker=(workflow_queue(plan.id), join.marker)):
        broker.delete(queue)
        return
    broker.delete(queue)
    for call_id in cancelled:
        note_ended(call_id, expires, batched=True)
    ensure_mover(need=need)
    ring(MOVER_BELL)
    for parent in touched:
        settle_join(plan, parent, need=need, expires=expires, failure=failed is not None)


def sweep_joins(need: WorkerConfig) -> int:
    """Settle every join whose last member's worker was lost before settling it, and
    drop the slots of joins resolved already; returns how many were settled."""
    broker = get_broker()
    settled = 0
    for queue in broker.list_queues(prefix=join_prefix()):
        workflow_id, _, join = queue.removeprefix(join_prefix()).rpartition(".")
        plan = load_plan(workflow_id)
        if plan is None or not join.isdigit() or int(join) >= len(plan.joins):
            broker.delete(queue)
            continue
        index = int(join)
        marker = plan.joins[index].marker
        if broker.peek_one(workflow_queue(plan.id), exact_timestamp=marker, with_timestamps=False):
            broker.delete(queue)
            continue
        try:
            settle_join(plan, index, need=need, expires=current_settings().RESULT_EXPIRES)
            settled += 1
        except Exception:
            _log.exception("could not settle join %s of workflow %s", index, workflow_id)
    return settled
