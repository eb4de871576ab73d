"""What `django.tasks` knows of a call beyond weft_compat's own record: its notes.

Django's `TaskResult` has fields that weft_compat's outcome does not keep (the task's
module path, backend alias, queue name, priority and `run_after`, the arguments, and when
and where each attempt started). The backend keeps them as notes on the call's record,
the broker queue that every process reads (`_outcome.note`): `enqueued` from the process
that enqueued the call, `started` and `finished` from the worker that ran an attempt.
Calls run or recorded by a test mode never reach a broker, so their notes stay in this
process, as their outcomes do (`_submission.local_outcomes`).

This module holds data only; it imports nothing of `django.tasks`, which Django before 6.0
does not have.
"""

from __future__ import annotations

import threading
from typing import Any, Final, Literal

from weft_compat._outcome import note, read_events
from weft_compat._submission import local_outcomes

__all__ = ["EVENT", "HEADER", "Phase", "is_local", "read_notes", "write_note"]

# The `event` of every note; a note never has a `state` or `attempt_id` key, which
# weft_compat's own reads of a record act on.
EVENT: Final = "django.tasks"
# The envelope header that carries what a worker rebuilds the call's `Task` from.
HEADER: Final = "django.tasks"
Phase = Literal["enqueued", "started", "finished"]

_local_notes: dict[str, list[dict[str, Any]]] = {}
_lock = threading.Lock()


def is_local(call_id: str) -> bool:
    """Whether a test mode in this process ran or recorded the call `call_id`."""
    return call_id in local_outcomes


def write_note(call_id: str, phase: Phase, *, local: bool, **fields: Any) -> None:
    """Append the note `phase` (with plain JSON `fields`) to the call's notes."""
    if not local:
        note(call_id, EVENT, phase=phase, **fields)
        return
    with _lock:
        _local_notes.setdefault(call_id, []).append({"event": EVENT, "phase": phase, **fields})


def read_notes(call_id: str, *, local: bool | None = None) -> list[dict[str, Any]]:
    """The notes of `call_id`, oldest first (empty for a call `django.tasks` never saw);
    `local` says where they are when the caller knows (a call a test mode is running)."""
    if is_local(call_id) if local is None else local:
        with _lock:
            return list(_local_notes.get(call_id, ()))
    return [event for event in read_events(call_id) if event.get("event") == EVENT]
