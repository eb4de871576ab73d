"""`update_state` progress, read from another process while the call runs, in both lanes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import broker_tasks
from tests.conftest import wait_for_state
from tests.elsewhere import read_elsewhere
from weft_compat import update_state
from weft_compat._progress import store_state
from weft_compat.exceptions import ArgumentNotSerializable, WeftCompatError


@pytest.mark.broker
@pytest.mark.parametrize("lane", ["pooled", "isolated"])
@pytest.mark.parametrize(
    ("task", "state", "meta"),
    [
        (broker_tasks.reports_progress, "PROGRESS", {"done": 1, "total": 2}),
        (broker_tasks.reports_progress_unbound, "RESIZING", {"step": "thumbnails"}),
    ],
)
def test_progress_is_read_from_another_process_then_the_outcome_wins(
    lane: str, task: Any, state: str, meta: dict[str, Any], weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "go-on"
    handle = task.using(lane=lane).enqueue(str(marker))
    wait_for_state(handle, state)
    seen = read_elsewhere(handle.tid, weft_context)
    assert seen["state"] == state
    assert seen["info"] == meta
    assert seen["as_dict"]["info"] == meta and not seen["as_dict"]["ready"]
    marker.touch()
    assert handle.result(timeout=90).value == "finished"
    assert handle.state == "SUCCESS"
    assert handle.info == "finished"


def test_update_state_outside_a_call_does_nothing() -> None:
    update_state(state="PROGRESS", meta={"done": 1})


@pytest.mark.parametrize("state", ["SUCCESS", "FAILURE", "REVOKED", ""])
def test_a_final_or_empty_state_is_refused_with_the_value(state: str) -> None:
    with pytest.raises(WeftCompatError, match=repr(state)):
        store_state("1000000000000000001", state, None)


def test_meta_that_is_not_json_is_refused_before_anything_is_stored() -> None:
    with pytest.raises(ArgumentNotSerializable, match="update_state meta"):
        store_state("1000000000000000001", "PROGRESS", {1, 2})
