"""Which attempt a record points at, and a mover that cannot submit one call: no broker."""

from __future__ import annotations

import heapq
from typing import Any

import pytest

from weft_compat._locate import current_attempt
from weft_compat._outcome import SUBMITTED
from weft_compat.due.mover import Mover

CALL = "1000000000000000010"


def retried(attempt_id: str) -> dict[str, Any]:
    return {"state": "RETRY", "retries": 1, "attempt_id": attempt_id}


def submitted(due: str, tid: str) -> dict[str, Any]:
    return {"event": SUBMITTED, "due": int(due), "attempt_id": tid}


def test_a_record_without_pointers_is_its_own_attempt() -> None:
    assert current_attempt(CALL, [{"state": "PROGRESS", "meta": "{}"}]) == CALL


def test_a_submitted_link_points_at_the_weft_task_of_the_latest_due_message() -> None:
    events = [submitted(CALL, "2000000000000000001"), retried("3000000000000000001")]
    assert current_attempt(CALL, events) == "3000000000000000001"
    events.append(submitted("3000000000000000001", "4000000000000000001"))
    assert current_attempt(CALL, events) == "4000000000000000001"


def test_a_late_link_to_an_earlier_attempt_does_not_hide_a_retry() -> None:
    # The mover's link for the first attempt lands after that attempt already retried.
    events = [
        submitted(CALL, "2000000000000000001"),  # written by the worker itself
        retried("3000000000000000001"),
        submitted(CALL, "2000000000000000001"),  # the mover's, late
    ]
    assert current_attempt(CALL, events) == "3000000000000000001"


def test_a_call_the_mover_cannot_submit_is_tried_again_without_holding_up_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mover = Mover("1000000000000000001")
    for due, message_id in [(10.0, 1), (11.0, 2), (50.0, 3)]:
        heapq.heappush(mover.heap, (due, message_id))
        mover.known.add(message_id)
    submitted_ids: list[int] = []

    def submit(message_id: int) -> None:
        if message_id == 1:
            raise RuntimeError("the pool did not start")
        submitted_ids.append(message_id)

    monkeypatch.setattr(mover, "submit", submit)
    upcoming = mover.step(now=20.0)
    assert submitted_ids == [2]
    assert upcoming is not None and 20.0 < upcoming < 50.0  # call 1 again, a little later
    assert 1 in mover.known and 2 not in mover.known
