"""`WeftSubmission`: the handle of one call, what `AsyncResult` was under Celery.

A handle is just an id and a name, so a view can rebuild it from the id alone
(`WeftSubmission.from_tid`), whichever lane runs the call. Every read looks up where
the call stands (`_locate`): its record once it has ended, else the pool's queues or
Weft's own status. Nothing is cached, so two handles of one id in two processes always
agree. An id nothing knows is `UNKNOWN`, never `PENDING`. A revoke made through a handle
sends Celery's `task_revoked` in the revoking process (`_revoked`).
"""

from __future__ import annotations

import math
import re
import signal
import threading
import time
import uuid
from typing import Any, Final, Literal

from weft.client import TaskResult

from weft_compat import _serialization
from weft_compat._broker import call_record, get_broker, wait_for_change
from weft_compat._lane import ENDED as _ENDED
from weft_compat._lanes import ISOLATED, lane
from weft_compat._locate import Location, current_attempt, locate
from weft_compat._outcome import (
    Outcome,
    TaskError,
    forget_record,
    outcome_in,
    read_events,
    read_outcome,
    revoked,
    write_outcome,
)
from weft_compat._revoked import announce_revoked
from weft_compat._states import (
    FAILURE,
    PENDING,
    READY_STATES,
    RECEIVED,
    RETRY,
    REVOKED,
    STARTED,
    SUCCESS,
    UNKNOWN,
    state_from_weft,
)
from weft_compat._timestamps import created_at, iso
from weft_compat.exceptions import InvalidTaskId, ResultNotReady, TaskRevokedError

__all__ = ["WeftSubmission", "local_outcomes", "local_owners", "local_tid", "submitted"]

_TID: Final = re.compile(r"\d{19}")
# Celery's ids: str(uuid4()), so ids stored before a migration still read (`UNKNOWN`).
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
_ERROR_FIELDS: Final = frozenset({"exception_class_path", "message", "traceback"})
# How often `result()` re-reads the stored outcome after Weft reports the end.
_OUTCOME_POLL_SECONDS: Final = 0.02
_OUTCOME_GRACE_SECONDS: Final = 2.0
_REVOKE_WAIT_SECONDS: Final = 10.0
# Raw statuses of a call whose process a revoke signals (Celery's `terminated`).
_RUNNING: Final = frozenset({"spawning", "running"})
_SIGNUMS: Final = {"TERM": int(signal.SIGTERM), "KILL": int(signal.SIGKILL)}

# Outcomes of calls run or recorded in this process by a test mode (tid → outcome;
# None while a recorded call is pending). Handles look here before asking Weft.
local_outcomes: dict[str, Outcome | None] = {}
# The owners of those calls that have one (tid → the owner's id).
local_owners: dict[str, str] = {}
_tid_lock = threading.Lock()
_previous_tid = 0


def local_tid() -> str:
    """A fresh id in Weft's 19-digit form, unique in this process (for the test modes)."""
    global _previous_tid
    with _tid_lock:
        _previous_tid = max(_previous_tid + 1, time.time_ns())
        return str(_previous_tid).rjust(19, "0")[-19:]


def _check_tid(tid: object) -> str:
    """A 19-digit Weft id as it is, a Celery (UUID) id in its canonical form."""
    if isinstance(tid, str):
        if _TID.fullmatch(tid):
            return tid
        if _UUID.fullmatch(tid):
            return str(uuid.UUID(tid))
    raise InvalidTaskId(
        f"task id {tid!r} is neither a Weft task id (19 digits) nor a Celery task id (a "
        "UUID); pass the `tid` of a submission, or the id Celery gave a call, as stored"
    )


def submitted(lane_name: str, tid: str, name: str) -> WeftSubmission:
    """The handle `enqueue` returns for the call `tid` it submitted to `lane_name`."""
    handle = WeftSubmission(tid, name)
    handle._pooled = lane_name == "pooled"
    return handle


class WeftSubmission:
    """The handle of one submitted call."""

    __slots__ = ("_name", "_pooled", "_tid")

    def __init__(self, tid: str, name: str | None = None) -> None:
        self._tid = _check_tid(tid)
        self._name = name
        # Whether this process queued the call in the pooled lane just now: its end is
        # then on its record, and waiting needs no search of the lanes.
        self._pooled = False

    @classmethod
    def from_tid(cls, tid: str, name: str | None = None) -> WeftSubmission:
        """Rebuild a handle from a task id, in any process (Celery's `AsyncResult(id)`)."""
        return cls(tid, name)

    @property
    def tid(self) -> str:
        """The Weft task id (Celery's `id`)."""
        return self._tid

    @property
    def name(self) -> str | None:
        """The task name; None for an unknown id."""
        if self._name is None and self._tid not in local_outcomes:
            self._name = locate(self._tid).name
        return self._name

    @property
    def owner(self) -> str | None:
        """The id of the user who enqueued the call (its `owner` option, else the request's
        user), as text; None when none was recorded or the id is unknown."""
        if self._tid in local_outcomes:
            return local_owners.get(self._tid)
        return locate(self._tid).owner

    def status(self) -> str | None:
        """The raw Weft-style status (`queued`, `running`, `completed`, ...); None if unknown."""
        if self._tid in local_outcomes:
            outcome = local_outcomes[self._tid]
            if outcome is None:
                return "queued"
            return outcome.raw_status
        return locate(self._tid).status

    @property
    def state(self) -> str:
        """Celery-style state: PENDING, STARTED, SUCCESS, FAILURE, REVOKED, ... or UNKNOWN.

        While the call runs, a custom state it reported (`update_state`) wins over STARTED.
        """
        return _state_of(self._location())

    def progress(self) -> Any:
        """The `meta` of the latest custom state while the call runs, else None."""
        location = self._location()
        if location.progress is None or location.outcome is not None:
            return None
        return location.progress[1]

    def _location(self) -> Location:
        if self._tid in local_outcomes:
            return Location(self.status(), self._name, local_outcomes[self._tid])
        return locate(self._tid)

    def exists(self) -> bool:
        """Whether Weft, a pool or an active test mode knows this id."""
        return self.status() is not None

    def ready(self) -> bool:
        """Whether the call has finished (succeeded, failed or was revoked)."""
        return self.state in READY_STATES

    def successful(self) -> bool:
        """Whether the call finished successfully."""
        return self.state == SUCCESS

    def failed(self) -> bool:
        """Whether the call finished with an error (including a hard time limit)."""
        return self.state == FAILURE

    def _outcome(self) -> Outcome | None:
        if self._tid in local_outcomes:
            return local_outcomes[self._tid]
        return read_outcome(self._tid)

    def result(self, timeout: float | None = None) -> TaskResult:
        """Wait for the call to finish and return Weft's `TaskResult`, value decoded.

        A retried call is followed through its attempts to the final one. Raises
        `TimeoutError` if it has not finished within `timeout` seconds.
        """
        return self._finish(timeout)[1]

    def _finish(self, timeout: float | None) -> tuple[Outcome | None, TaskResult]:
        # Wait for the end; the stored outcome (None for an isolated call with only
        # Weft's own status) and the TaskResult built from it.
        if self._tid in local_outcomes:
            return local_outcomes[self._tid], self._local_result()
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        if self._pooled:
            outcome = self._await_record(deadline)
            if outcome is not None:
                return outcome, _task_result(self._tid, outcome)
            if time.monotonic() >= deadline:
                raise self._timed_out(timeout)
            # It handed on to another attempt (a retry): follow it wherever it runs.
        location = locate(self._tid)  # A call already ended needs no more than this read.
        while location.outcome is None:
            # The broker's version is taken before the call is read again, so a change
            # made in between wakes the wait below instead of being missed.
            since = get_broker().get_data_version()
            location = locate(self._tid)
            if location.outcome is not None:
                break
            if location.lane == "isolated" and location.attempt is not None:
                finished = self._isolated_result(location.attempt, deadline, timeout)
                if finished is not None:
                    return finished
                continue  # The attempt asked for a retry: follow the next one.
            outcome = self._record_outcome(location.attempt, deadline, since)
            if outcome is not None:
                return outcome, _task_result(self._tid, outcome)
            if time.monotonic() >= deadline:
                raise self._timed_out(timeout)
        return location.outcome, _task_result(self._tid, location.outcome)

    def _await_record(self, deadline: float) -> Outcome | None:
        # The outcome of this call's first attempt, read from its record; None past
        # `deadline` or once another attempt took over.
        since = get_broker().get_data_version()
        events = read_events(self._tid)
        outcome = outcome_in(events)
        if outcome is not None or current_attempt(self._tid, events) != self._tid:
            return outcome
        return self._record_outcome(self._tid, deadline, since)

    def _record_outcome(
        self, attempt: str | None, deadline: float, since: int | None
    ) -> Outcome | None:
        # The outcome, read from the record each time it may have changed since the data
        # version `since`; None past `deadline` or once an attempt other than `attempt`
        # took over.
        for _ in wait_for_change(deadline, since=since, queue=call_record(self._tid)):
            events = read_events(self._tid)
            outcome = outcome_in(events)
            if outcome is not None:
                return outcome
            if current_attempt(self._tid, events) != attempt:
                return None
        return None

    def _timed_out(self, timeout: float | None) -> TimeoutError:
        return TimeoutError(f"task {self._tid} did not finish within {timeout!r} seconds")

    def _isolated_result(
        self, attempt: str, deadline: float, timeout: float | None
    ) -> tuple[Outcome | None, TaskResult] | None:
        # Wait for the Weft task of the current attempt; None when it handed on to a retry.
        remaining = None if math.isinf(deadline) else max(0.0, deadline - time.monotonic())
        try:
            raw = ISOLATED.wait(attempt, remaining)
        except TimeoutError as exc:
            raise self._timed_out(timeout) from exc
        events = read_events(self._tid)
        if outcome_in(events) is None and current_attempt(self._tid, events) != attempt:
            return None
        outcome = self._await_outcome(raw.status)
        value = _decode(outcome.value) if outcome is not None else raw.value
        return outcome, TaskResult(
            tid=self._tid,
            status=outcome.raw_status if outcome is not None else raw.status,
            value=value,
            stdout=raw.stdout,
            stderr=raw.stderr,
            error=raw.error,
            reconciliation=raw.reconciliation,
        )

    def _await_outcome(self, status: str | None) -> Outcome | None:
        # The worker stores the outcome just before it returns, so it is there by the time
        # Weft reports the end; the grace period only covers a slow broker write.
        if status not in _ENDED:
            return None
        deadline = time.monotonic() + _OUTCOME_GRACE_SECONDS
        while True:
            outcome = self._outcome()
            if outcome is not None or time.monotonic() >= deadline or status != "completed":
                return outcome
            time.sleep(_OUTCOME_POLL_SECONDS)

    def _local_result(self) -> TaskResult:
        outcome = local_outcomes[self._tid]
        if outcome is None:
            raise TimeoutError(
                f"task {self._tid} was recorded, not run, by the recording test mode"
            )
        value = _decode(outcome.value) if outcome.value is not None else None
        error = outcome.error.traceback if outcome.error is not None else None
        return TaskResult(
            tid=self._tid,
            status=self.status() or "unknown",
            value=value,
            stdout=None,
            stderr=None,
            error=error,
        )

    @property
    def return_value(self) -> Any:
        """The task's return value; raises `ResultNotReady` unless the call succeeded."""
        state = self.state
        if state != SUCCESS:
            raise ResultNotReady(
                f"task {self._tid} is {state}, and a return value exists only after SUCCESS; "
                "check ready()/successful() first or wait with result(timeout=...)"
            )
        outcome = self._await_outcome("completed")
        if outcome is None or outcome.value is None:
            return None
        return _decode(outcome.value)

    @property
    def errors(self) -> list[TaskError]:
        """The call's errors (exception import path, message, traceback); empty unless failed."""
        location = self._location()
        status = location.status
        if status not in {"failed", "timeout"}:
            return []
        outcome = location.outcome or self._await_outcome(status)
        if outcome is not None and outcome.error is not None:
            return [outcome.error]
        if status == "timeout":
            return [
                TaskError(
                    exception_class_path="weft_compat.exceptions.TimeLimitExceeded",
                    message=f"task {self._tid} exceeded its hard time limit and was ended",
                    traceback="",
                )
            ]
        # A retried call's failure is its latest attempt's, as Weft saw it.
        text = ISOLATED.error_text(location.attempt or self._tid) or (
            "the task failed without an error"
        )
        return [_error_from_traceback(text)]

    @property
    def traceback(self) -> str | None:
        """The traceback text of the failure, or None (Celery's `traceback`)."""
        errors = self.errors
        return errors[-1].traceback or errors[-1].message if errors else None

    @property
    def info(self) -> Any:
        """Celery's `info` (and `result`): the return value after SUCCESS; the exception
        after FAILURE or REVOKED, and between the attempts of a retried call, rebuilt from
        its record as Celery's result backend rebuilds it (`errors` keeps the records);
        while running, the `meta` of the latest custom state (`update_state`)."""
        state = self.state
        if state == SUCCESS:
            return self.return_value
        if state == FAILURE:
            errors = self.errors
            return errors[-1].rebuild() if errors else None
        if state == REVOKED:
            outcome = self._outcome()
            if outcome is not None and outcome.error is not None:
                return outcome.error.rebuild()
            return TaskRevokedError(f"task {self._tid} was revoked")
        if state in {PENDING, RECEIVED, STARTED, UNKNOWN}:
            return None
        meta = self.progress()
        if state == RETRY and isinstance(meta, dict) and set(meta) >= _ERROR_FIELDS:
            return TaskError.from_record(meta).rebuild()
        return meta

    def wait(self, timeout: float | None = None, *, propagate: bool = True) -> Any:
        """Wait for the call to end and return its return value (Celery's `get()`).

        After a failure or a revoke, raises the task's exception, rebuilt as `info` is
        (with `propagate=False`, returns it instead). Raises `TimeoutError` if the call
        has not ended within `timeout` seconds.
        """
        outcome, raw = self._finish(timeout)
        if outcome is None:  # An isolated call Weft alone knows the end of.
            if self.successful():
                return raw.value
            error: Any = self.info
        elif outcome.state == SUCCESS:
            return raw.value
        elif outcome.error is not None:
            error = outcome.error.rebuild()
        else:
            error = TaskRevokedError(f"task {self._tid} was revoked")
        if propagate and isinstance(error, BaseException):
            raise error
        return error

    @property
    def retries(self) -> int:
        """How many times the call was retried so far (its `self.request.retries`)."""
        if self._tid in local_outcomes:
            return 0
        return locate(self._tid).retries

    def stop(self) -> None:
        """Cancel the call if queued, or stop it if running (Celery's `revoke`).

        Sends `task_revoked` here once the call is revoked, if it had not ended.
        """
        self._revoke("TERM")

    def kill(self) -> None:
        """End the call's process at once (`revoke(terminate=True, signal="SIGKILL")`).

        Sends `task_revoked` here once the call is revoked, if it had not ended.
        """
        self._revoke("KILL")

    def _revoke(self, signal_name: Literal["TERM", "KILL"]) -> None:
        if self._tid in local_outcomes:
            return
        location = locate(self._tid)
        if location.lane is None and location.status == "created":
            # A workflow step whose turn has not come: it ends here, and whoever starts
            # it later finds it ended and runs nothing.
            if read_outcome(self._tid) is None:
                write_outcome(self._tid, revoked(location.name, "TERM", owner=location.owner))
                self._announce_revoked(location, signal_name)
            return
        if location.lane is None:
            return  # Ended, or unknown: nothing to stop.
        if lane(location.lane).revoke(location, self._tid, signal_name):
            self._announce_revoked(location, signal_name)
            return
        # A call that was due is being submitted by a mover right now: follow it to
        # the lane it went to, and stop it there.
        deadline = time.monotonic() + _REVOKE_WAIT_SECONDS
        while True:
            time.sleep(_OUTCOME_POLL_SECONDS)
            location = locate(self._tid)
            if location.lane is None and location.status is not None:
                return  # It ended meanwhile.
            if location.lane is not None and lane(location.lane).revoke(
                location, self._tid, signal_name
            ):
                self._announce_revoked(location, signal_name)
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {self._tid} could not be revoked while it was submitted")

    def _announce_revoked(self, location: Location, signal_name: Literal["TERM", "KILL"]) -> None:
        # Celery's `terminated` and `signum` say whether the call's process was signalled;
        # a call cancelled where it waited was not.
        if location.status in _ENDED:
            return  # Weft had ended it already (a time limit): nothing was revoked.
        terminated = location.status in _RUNNING
        announce_revoked(
            location.name or self._name,
            self._tid,
            location.envelope,
            retries=location.retries,
            terminated=terminated,
            signum=_SIGNUMS[signal_name] if terminated else None,
        )

    def forget(self) -> None:
        """Delete the stored outcome of the call (Celery's `forget`)."""
        local_outcomes.pop(self._tid, None)
        local_owners.pop(self._tid, None)
        forget_record(self._tid)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary for views: tid, name, state, status, and result or errors.

        Also its `owner` when one was recorded, when the call was created (read from its
        id; none for a Celery UUID), started and ended (ISO 8601, UTC) as far as its
        record says, and with `RESULT_EXTENDED` its `args`, `kwargs`, `queue` and
        `worker` (the host that ran it).
        """
        location = self._location()
        status = location.status
        state = state_from_weft(status)
        shown = _state_of(location)
        body: dict[str, Any] = {
            "tid": self._tid,
            "name": self._name or location.name,
            "state": shown,
            "status": status,
            "exists": status is not None,
            "ready": state in READY_STATES,
            "successful": state == SUCCESS,
            "retries": location.retries,
        }
        if location.owner is not None:
            body["owner"] = location.owner
        if state == SUCCESS:
            outcome = location.outcome or self._await_outcome("completed")
            value = _decode(outcome.value) if outcome is not None else None
            body["result"] = _serialization.json_ready(value)
        if state == FAILURE:
            body["errors"] = [error.as_dict() for error in self.errors]
        if shown != state and location.progress is not None:
            body["info"] = _serialization.json_ready(location.progress[1])
        body.update(_when(self._tid, location.outcome))
        return body

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeftSubmission) and other._tid == self._tid

    def __reduce__(self) -> tuple[type[WeftSubmission], tuple[str, str | None]]:
        # A handle travels as its id and name, and is rebuilt from them.
        return (WeftSubmission, (self._tid, self._name))

    def __hash__(self) -> int:
        return hash(self._tid)

    def __repr__(self) -> str:
        return f"<WeftSubmission {self._name or '?'} {self._tid}>"


_WAITING: Final = frozenset({"scheduled", "created", "queued", "reserved", "spawning"})


def _state_of(location: Location) -> str:
    # Between attempts a retried call is RETRY; while an attempt runs, a custom state it
    # reported (`update_state`) wins over STARTED.
    if location.progress is not None:
        state = location.progress[0]
        if state == RETRY and location.status in _WAITING:
            return RETRY
        if state != RETRY and location.status in {"running", "spawning"}:
            return state
    return state_from_weft(location.status)


def _when(tid: str, outcome: Outcome | None) -> dict[str, Any]:
    # The times a call has (creation from its id, the rest from its outcome), and what
    # an extended outcome keeps of the call.
    fields: dict[str, Any] = {}
    created = created_at(tid)
    if created is not None:
        fields["date_created"] = iso(created)
    if outcome is None:
        return fields
    if outcome.date_started is not None:
        fields["date_started"] = iso(outcome.date_started)
    if outcome.date_done is not None:
        fields["date_done"] = iso(outcome.date_done)
    if outcome.call is not None:
        call = _decode(outcome.call)
        fields["args"] = _serialization.json_ready(call.get("args", []))
        fields["kwargs"] = _serialization.json_ready(call.get("kwargs", {}))
        fields["queue"] = outcome.queue
        fields["worker"] = outcome.worker
    return fields


def _task_result(tid: str, outcome: Outcome) -> TaskResult:
    error = outcome.error
    return TaskResult(
        tid=tid,
        status=outcome.raw_status,
        value=_decode(outcome.value),
        stdout=None,
        stderr=None,
        error=(error.traceback or error.message) if error is not None else None,
    )


def _decode(text: str | None) -> Any:
    return None if text is None else _serialization.decode(text)


def _error_from_traceback(text: str) -> TaskError:
    """Recover the exception path and message from the last line of a traceback."""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    path, _, message = last.partition(": ")
    if not path or " " in path:
        return TaskError(exception_class_path="", message=last, traceback=text)
    return TaskError(exception_class_path=path, message=message, traceback=text)
