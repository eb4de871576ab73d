"""countdown, eta and expires in both lanes: deferred calls wait in the broker's due queue
and a mover submits each exactly once, through restarts and side by side."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import broker_tasks
from tests.elsewhere import read_elsewhere
from weft_compat import WeftSubmission, worker
from weft_compat._broker import DUE_QUEUE, get_broker
from weft_compat._client import get_client
from weft_compat._envelope import Envelope
from weft_compat._outcome import SUBMITTED, read_outcome
from weft_compat._submit import prepare_call
from weft_compat._worker_config import deployment_config
from weft_compat.due import live_movers, start_mover, stop_movers
from weft_compat.due.mover import Mover
from weft_compat.exceptions import TaskRevokedError
from weft_compat.pool import stop_all_pools

pytestmark = pytest.mark.broker

LANES = ["pooled", "isolated"]
# A generous bound on lateness (typically 0.1 s pooled, 1 s isolated), for a busy machine.
LATE_AT_MOST = 30.0
# A Weft tid no task has: a mover by that id is never live, as one that died.
GONE_MOVER = "1000000000000000001"


@pytest.fixture(autouse=True)
def warm(weft_context: Path) -> None:
    """A running mover and pool, as in a deployment: the first deferral starts them, in
    a second or two on this machine, which would make that one call late."""
    assert broker_tasks.add.using(countdown=0.1).enqueue(1, 1).result(timeout=90).value == 2


def note_time(handle: WeftSubmission) -> float:
    broker = get_broker()
    for body, message_id in broker.peek_many(
        f"weft_compat.call.{handle.tid}", 100, with_timestamps=True
    ):
        if SUBMITTED in body:
            return message_id / 1e9
    raise AssertionError(f"{handle!r} was never submitted by a mover")


def runs(marker: Path) -> int:
    return len(marker.read_text().splitlines()) if marker.exists() else 0


@pytest.mark.parametrize("lane", LANES)
@pytest.mark.parametrize("how", ["countdown", "eta"])
def test_a_deferred_call_is_pending_then_runs_on_time(
    lane: str, how: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "stamp"
    due = time.time() + 2
    timing = {"countdown": 2} if how == "countdown" else {"eta": datetime.fromtimestamp(due, UTC)}
    handle = broker_tasks.stamped.using(lane=lane, **timing).enqueue(str(marker))
    assert handle.state == "PENDING" and handle.exists()
    seen = read_elsewhere(handle.tid, weft_context)
    assert seen["as_dict"]["name"] == "tests.broker_tasks.stamped"
    if time.time() < due - 0.5:  # Read before it was due (a loaded machine may be slower).
        assert seen["state"] == "PENDING"
    started = handle.result(timeout=90).value
    assert handle.state == "SUCCESS"
    # Never early; how late is the lateness benchmark's to measure, not a test's: here
    # only that it ran in its own good time even on a loaded machine.
    assert started >= due - 0.05
    assert started - due < LATE_AT_MOST
    if lane == "isolated":
        assert note_time(handle) - due < LATE_AT_MOST
    assert runs(marker) == 1


@pytest.mark.parametrize("lane", LANES)
def test_a_call_that_expires_before_it_is_due_ends_revoked_with_a_reason(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "expired"
    handle = broker_tasks.stamped.using(lane=lane, countdown=1.5, expires=0.5).enqueue(str(marker))
    handle.result(timeout=60)
    assert handle.state == "REVOKED"
    assert handle.status() == "expired"
    assert isinstance(handle.info, TaskRevokedError)
    assert "expired" in str(handle.info)
    outcome = read_outcome(handle.tid)
    assert outcome is not None and outcome.error is not None
    assert outcome.error.exception_class_path == "weft_compat.exceptions.TaskRevokedError"
    assert runs(marker) == 0


@pytest.mark.parametrize("lane", LANES)
def test_work_that_starts_after_it_expired_is_not_run(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "late"
    past = datetime.now(UTC) - timedelta(seconds=1)
    handle = broker_tasks.stamped.using(lane=lane, expires=past).enqueue(str(marker))
    handle.result(timeout=60)
    assert handle.state == "REVOKED"
    assert read_elsewhere(handle.tid, weft_context)["state"] == "REVOKED"
    assert runs(marker) == 0


@pytest.mark.parametrize("lane", LANES)
def test_stopping_a_deferred_call_revokes_it_before_it_runs(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "stopped"
    handle = broker_tasks.stamped.using(lane=lane, countdown=1.5).enqueue(str(marker))
    handle.stop()
    assert handle.state == "REVOKED"
    time.sleep(2.5)
    assert runs(marker) == 0
    assert handle.state == "REVOKED"


def test_deferred_work_survives_a_mover_restart_and_runs_once(
    weft_context: Path, tmp_path: Path
) -> None:
    markers = {lane: tmp_path / f"restart-{lane}" for lane in LANES}
    handles = {
        lane: broker_tasks.stamped.using(lane=lane, countdown=3).enqueue(str(marker))
        for lane, marker in markers.items()
    }
    assert live_movers()
    # Pool masters start a mover when deferred work waits and none runs: stop them too,
    # so nothing moves the calls while they come due.
    stop_all_pools(timeout=60)
    stop_movers(timeout=60)
    time.sleep(3.5)  # Due meanwhile, with no mover running.
    # Still waiting (read from the broker: reading a handle would start a mover).
    broker = get_broker()
    for handle in handles.values():
        assert broker.peek_one(DUE_QUEUE, exact_timestamp=int(handle.tid), with_timestamps=False)
    start_mover()
    for lane, handle in handles.items():
        assert handle.result(timeout=90).value is not None
        assert runs(markers[lane]) == 1


def test_a_mover_lost_after_claiming_is_recovered_and_the_call_runs_once(
    weft_context: Path, tmp_path: Path
) -> None:
    """The mover dies between claiming an isolated call and linking its Weft task, twice:
    once before submitting, once after. Each call still runs exactly once."""
    marker_before = tmp_path / "lost-before-submit"
    marker_after = tmp_path / "lost-after-submit"
    before = broker_tasks.stamped.using(lane="isolated", countdown=30).enqueue(str(marker_before))
    after = broker_tasks.stamped.using(lane="isolated", countdown=30).enqueue(str(marker_after))
    lost = Mover(GONE_MOVER)
    broker = get_broker()
    for handle in (before, after):
        assert broker.move_one(DUE_QUEUE, lost.claimed, exact_timestamp=int(handle.tid))
    # The second one was also submitted, but the link was never written.
    body = broker.peek_one(lost.claimed, exact_timestamp=int(after.tid), with_timestamps=False)
    assert body is not None
    claimed = dataclasses.replace(
        Envelope.from_json(body),
        call_id=after.tid,
        claim_queue=lost.claimed,
        claim_id=int(after.tid),
    )
    orphan = get_client().submit(
        Envelope.from_json(body).taskspec or {}, payload={"payload": claimed.to_payload()}
    )
    survivor = Mover("1000000000000000002", deployment_config())
    survivor.recover()  # What a live mover does at start and every few seconds.
    assert broker.peek_one(lost.claimed, with_timestamps=False) is None
    for handle in (before, after):
        envelope_body = broker.peek_one(
            DUE_QUEUE, exact_timestamp=int(handle.tid), with_timestamps=False
        )
        if envelope_body is not None:  # Make it due now, as time would.
            survivor.submit(int(handle.tid))
    for handle in (before, after):
        assert handle.result(timeout=90).value is not None
    get_client().task(orphan.tid).result(timeout=90)
    assert runs(marker_before) == 1
    assert runs(marker_after) == 1


def test_a_call_revoked_while_a_mover_submits_it_never_runs(
    weft_context: Path, tmp_path: Path
) -> None:
    """Stopped after a mover claimed it and submitted its Weft task, before the task
    took the claim: the task finds no claim and runs nothing."""
    marker = tmp_path / "revoked-in-flight"
    handle = broker_tasks.stamped.using(lane="isolated", countdown=30).enqueue(str(marker))
    lost = Mover(GONE_MOVER)
    broker = get_broker()
    assert broker.move_one(DUE_QUEUE, lost.claimed, exact_timestamp=int(handle.tid))
    body = broker.peek_one(lost.claimed, exact_timestamp=int(handle.tid), with_timestamps=False)
    assert body is not None
    handle.stop()
    assert handle.state == "REVOKED"
    claimed = dataclasses.replace(
        Envelope.from_json(body),
        call_id=handle.tid,
        claim_queue=lost.claimed,
        claim_id=int(handle.tid),
    )
    late = get_client().submit(
        Envelope.from_json(body).taskspec or {}, payload={"payload": claimed.to_payload()}
    )
    late.result(timeout=90)
    assert runs(marker) == 0
    assert handle.state == "REVOKED"


def test_an_attempt_of_a_call_that_already_ended_runs_nothing(
    weft_context: Path, tmp_path: Path
) -> None:
    """A later attempt (a retry, a deferred call) checks the call's record first."""
    marker = tmp_path / "ended-first"
    handle = broker_tasks.stamped.using(lane="isolated", countdown=30).enqueue(str(marker))
    handle.stop()
    body = get_broker().peek_one(DUE_QUEUE, exact_timestamp=int(handle.tid), with_timestamps=False)
    assert body is None  # Cancelled in the due queue.
    prepared = prepare_call(broker_tasks.stamped.using(lane="isolated"), [str(marker)], {})
    envelope = dataclasses.replace(prepared.envelope, call_id=handle.tid)
    assert worker.run(envelope.to_payload()) is None
    assert runs(marker) == 0


@pytest.mark.parametrize("lane", LANES)
def test_concurrent_movers_do_not_double_submit(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    extra = {start_mover(), start_mover()}
    try:
        wait_until(lambda: {entry.tid for entry in live_movers()} >= extra)
        count = 20 if lane == "pooled" else 3
        due = datetime.now(UTC) + timedelta(seconds=3)
        markers = [tmp_path / f"many-{lane}-{index}" for index in range(count)]
        handles = [
            broker_tasks.stamped.using(lane=lane, eta=due).enqueue(str(marker))
            for marker in markers
        ]
        time.sleep(max(0.0, due.timestamp() - time.time()))
        assert {entry.tid for entry in live_movers()} >= extra  # Three movers at the due time.
        for handle in handles:
            handle.result(timeout=120)
        time.sleep(1)
        assert [runs(marker) for marker in markers] == [1] * count
        # The younger movers leave at their next rescan; the oldest keeps serving.
        wait_until(lambda: len(live_movers()) == 1)
        assert not {entry.tid for entry in live_movers()} & extra
    finally:
        stop_movers(timeout=60)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{condition} did not hold within {timeout}s"
        time.sleep(0.2)
