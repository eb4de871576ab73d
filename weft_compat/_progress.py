"""Progress and custom states: Celery's `update_state`, in both lanes.

A running call appends `{"state": ..., "meta": ...}` to its record; a handle in any
process reports the latest such state (and its `meta` as `.info`) until the call ends,
when the outcome wins. Bound tasks call `self.update_state(...)`; other code running
inside a call uses the module-level `update_state(...)`, Celery's
`current_task.update_state(...)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from weft_compat import _serialization
from weft_compat._broker import call_record, get_broker
from weft_compat._states import READY_STATES
from weft_compat.exceptions import ArgumentNotSerializable, WeftCompatError

if TYPE_CHECKING:
    from weft_compat._context import TaskRequest

__all__ = ["current_request", "latest_state", "running", "store_state", "update_state"]

_current: ContextVar[TaskRequest | None] = ContextVar("weft_compat_request", default=None)


@contextmanager
def running(request: TaskRequest) -> Iterator[None]:
    """Make `request` the current call while a task runs."""
    token = _current.set(request)
    try:
        yield
    finally:
        _current.reset(token)


def current_request() -> TaskRequest | None:
    """The request of the call running in this thread, or None outside a call."""
    return _current.get()


def store_state(call_id: str, state: str, meta: Any) -> None:
    """Append a custom state to the record of `call_id`."""
    if not isinstance(state, str) or not state or state in READY_STATES:
        raise WeftCompatError(
            f"update_state(state={state!r}) needs a custom state name such as 'PROGRESS'; "
            "SUCCESS, FAILURE and REVOKED are set when the call ends"
        )
    try:
        encoded = _serialization.encode(meta)
    except (TypeError, ValueError) as exc:
        raise ArgumentNotSerializable(
            f"update_state meta {_serialization.describe(meta)} is not Celery-compatible "
            "JSON; pass a dict of JSON values, datetime, Decimal or UUID"
        ) from exc
    get_broker().write(call_record(call_id), json.dumps({"state": state, "meta": encoded}))


def update_state(state: str = "PROGRESS", meta: Any = None, *, task_id: str | None = None) -> None:
    """Report a custom state for the running call (or `task_id`), read through `.info`.

    Outside a call (a task called directly, or the immediate test mode with no id) it
    does nothing, as Celery's does without a result backend.
    """
    request = _current.get()
    call_id = task_id or (request.id if request is not None else None)
    if call_id is None:
        return
    store_state(call_id, state, meta)


def latest_state(events: list[dict[str, Any]]) -> tuple[str, Any] | None:
    """The latest custom state among a record's events, with its decoded meta."""
    for event in reversed(events):
        state = event.get("state")
        if state is not None and state not in READY_STATES:
            meta = event.get("meta")
            return str(state), _serialization.decode(meta) if meta is not None else None
    return None
