"""Handle behaviour that needs no broker: ids, state mapping."""

from __future__ import annotations

import pytest

from weft_compat import WeftSubmission
from weft_compat._states import state_from_weft
from weft_compat.exceptions import InvalidTaskId


@pytest.mark.parametrize(
    "tid",
    ["abc", "123", "12345678901234567890", "", " 1234567890123456789", None, 1795321524932927488],
)
def test_a_malformed_tid_raises_value_error_naming_it(tid: object) -> None:
    with pytest.raises(InvalidTaskId, match="19 digits") as raised:
        WeftSubmission.from_tid(tid)  # type: ignore[arg-type]
    assert isinstance(raised.value, ValueError)
    assert repr(tid) in str(raised.value)


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
