"""Test modes that replace `CELERY_TASK_ALWAYS_EAGER`.

- `immediate()`: each enqueue runs the task inline, after the same validation and JSON
  round trip a real submission gets, and returns a handle with the usual API
  (`state == "SUCCESS"`, `return_value`, `errors`). `propagate=True` re-raises the
  task's exception in the caller, like `CELERY_TASK_EAGER_PROPAGATES`.
- `recording()`: each enqueue is recorded and nothing runs; the recorder's
  `submissions` list what was enqueued.

Both are context managers, pytest fixtures (`weft_immediate`, `weft_recording`) and,
in Django, the setting `WEFT_COMPAT = {"TEST_MODE": "immediate" | "recording"}`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from weft_compat import _serialization, _testmode
from weft_compat._execute import run_call
from weft_compat._submission import WeftSubmission, local_outcomes

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["ImmediateMode", "RecordedCall", "Recorder", "immediate", "recording"]

_tid_lock = threading.Lock()
_previous = 0


def _local_tid() -> str:
    """A fresh id in Weft's 19-digit form, unique in this process."""
    global _previous
    with _tid_lock:
        _previous = max(_previous + 1, time.time_ns())
        return str(_previous).rjust(19, "0")[-19:]


class ImmediateMode:
    """Runs every enqueued call inline; see `immediate()`."""

    def __init__(self, *, propagate: bool = False) -> None:
        self.propagate = propagate

    def handle(self, prepared: PreparedCall) -> WeftSubmission:
        """Run the call now, as a worker would, and return its handle."""
        tid = _local_tid()
        envelope = prepared.envelope
        result = run_call(envelope, request_id=tid, eager=True)
        # A retry runs again at once, without its delay, until it ends.
        while result.retry is not None:
            plan = result.retry
            call = _serialization.encode_call(envelope.task, plan.args, plan.kwargs)
            envelope = dataclasses.replace(envelope, call=call, attempt=envelope.attempt + 1)
            result = run_call(envelope, request_id=tid, eager=True)
        local_outcomes[tid] = result.outcome
        if self.propagate and result.exception is not None:
            raise result.exception
        return WeftSubmission(tid, prepared.task.name)


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One enqueued call captured by `recording()`."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    options: dict[str, Any]
    tid: str


@dataclass
class Recorder:
    """Records enqueued calls instead of running them; see `recording()`."""

    submissions: list[RecordedCall] = field(default_factory=list)

    def handle(self, prepared: PreparedCall) -> WeftSubmission:
        """Record the call and return a handle that stays PENDING."""
        tid = _local_tid()
        local_outcomes[tid] = None
        options = prepared.options.model_dump(exclude_defaults=True)
        # What a worker would receive: the encoded snapshot, not the caller's live objects.
        call = _serialization.decode(prepared.envelope.call)
        self.submissions.append(
            RecordedCall(prepared.task.name, tuple(call["args"]), call["kwargs"], options, tid)
        )
        return WeftSubmission(tid, prepared.task.name)

    def names(self) -> list[str]:
        """The task names of the recorded calls, in order."""
        return [call.name for call in self.submissions]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.submissions.clear()


@contextmanager
def immediate(*, propagate: bool = False) -> Iterator[ImmediateMode]:
    """Run enqueued calls inline while the block runs."""
    mode = ImmediateMode(propagate=propagate)
    _testmode.push(mode)
    try:
        yield mode
    finally:
        _testmode.pop(mode)


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record enqueued calls, running nothing, while the block runs."""
    recorder = Recorder()
    _testmode.push(recorder)
    try:
        yield recorder
    finally:
        _testmode.pop(recorder)


def mode_for_setting(name: str) -> _testmode.Mode:
    """The mode the `TEST_MODE` setting names."""
    return ImmediateMode() if name == "immediate" else Recorder()
