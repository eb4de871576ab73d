"""Handle behaviour that needs no broker: ids, state mapping."""

from __future__ import annotations

from uuid import UUID

import pytest

from weft_compat import WeftSubmission
from weft_compat._states import state_from_weft
from weft_compat.exceptions import InvalidTaskId


@pytest.mark.parametrize(
    "tid",
    [
        "abc",
        "123",
        "12345678901234567890",
        "",
        " 1234567890123456789",
        None,
        1795321524932927488,
        "5f0e2c1a-9b7d-4e55-8a3b",
        "5f0e2c1a-9b7d-4e55-8a3b-1c2d3e4f5a6b7",
        "zf0e2c1a-9b7d-4e55-8a3b-1c2d3e4f5a6b",
        UUID("5f0e2c1a-9b7d-4e55-8a3b-1c2d3e4f5a6b"),
    ],
)
def test_a_malformed_tid_raises_value_error_naming_it(tid: object) -> None:
    with pytest.raises(InvalidTaskId, match="19 digits") as raised:
        WeftSubmission.from_tid(tid)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)
    assert repr(tid) in str(raised.value)


@pytest.mark.parametrize(
    "celery_id",
    [
        "5f0e2c1a-9b7d-4e55-8a3b-1c2d3e4f5a6b",
        "5F0E2C1A-9B7D-4E55-8A3B-1C2D3E4F5A6B",
        "5f0e2c1a9b7d4e558a3b1c2d3e4f5a6b",
    ],
)
def test_a_celery_task_id_is_accepted_in_its_canonical_form(celery_id: str) -> None:
    assert WeftSubmission.from_tid(celery_id).tid == "5f0e2c1a-9b7d-4e55-8a3b-1c2d3e4f5a6b"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("created", "PENDING"),
        ("queued", "PENDING"),
        ("spawning", "RECEIVED"),
        ("running", "STARTED"),
        ("completed", "SUCCESS"),
        ("failed", "FAILURE"),
        ("timeout", "FAILURE"),
        ("cancelled", "REVOKED"),
        ("killed", "REVOKED"),
        ("unknown", "UNKNOWN"),
        (None, "UNKNOWN"),
        ("paused", "PAUSED"),
    ],
)
def test_weft_statuses_map_to_celery_states(status: str | None, state: str) -> None:
    assert state_from_weft(status) == state


def test_handles_compare_by_tid() -> None:
    tid = "1795321524932927488"
    assert WeftSubmission(tid) == WeftSubmission.from_tid(tid, "x")
    assert len({WeftSubmission(tid), WeftSubmission(tid)}) == 1
