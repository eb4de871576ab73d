"""The isolated lane behind the lane interface: each call its own Weft task.

It is the one lane whose calls Weft itself runs and reports on: their status, their
result, and their traceback when the worker could not store one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from weft.client import CommandTimeoutError, TaskResult

from weft_compat._client import get_client
from weft_compat._lane import ENDED, Lane, Location, Seen
from weft_compat._manager import submit_isolated
from weft_compat._outcome import OWNED, SUBMITTED, note, read_outcome, revoked, write_outcome
from weft_compat._taskspec import OWNER_METADATA, TASK_METADATA, with_owner

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["IsolatedLane"]


def _owner(metadata: Any, events: list[dict[str, Any]]) -> str | None:
    # In the spec's metadata once the task has started; before, on the record: the note
    # written at submission, or the link a mover wrote.
    if isinstance(metadata, dict) and isinstance(metadata.get(OWNER_METADATA), str):
        return str(metadata[OWNER_METADATA])
    for event in reversed(events):
        if event.get("event") in (OWNED, SUBMITTED) and isinstance(event.get("owner"), str):
            return str(event["owner"])
    return None


def _task_name(metadata: Any, events: list[dict[str, Any]], weft_name: str | None) -> str | None:
    # Weft names a task it has only just been handed by its tid until it has read the
    # TaskSpec; the task name is in the spec's metadata, and on the link a mover wrote.
    if isinstance(metadata, dict) and isinstance(metadata.get(TASK_METADATA), str):
        return str(metadata[TASK_METADATA])
    for event in reversed(events):
        if event.get("event") == SUBMITTED and isinstance(event.get("task"), str):
            return str(event["task"])
    return weft_name


class IsolatedLane(Lane):
    """A call is a Weft task running `weft_compat.worker:run` in its own process."""

    name = "isolated"

    def submit(self, prepared: PreparedCall) -> str:
        """Submit the call's Weft task, built from its task's template.

        A call with an owner has it noted on its record too: Weft shows the task's
        metadata only once the task has started, and until then handles read the note
        (one broker write, next to the process the call costs).
        """
        envelope = prepared.envelope
        template = with_owner(prepared.task.taskspec_template, envelope.owner)
        tid = submit_isolated(template, {"payload": envelope.to_payload()}).tid
        if envelope.owner is not None:
            note(tid, OWNED, owner=envelope.owner)
        return tid

    def locate(self, seen: Seen) -> Location | None:
        """The call's Weft task, if Weft knows it."""
        snapshot = get_client().task(seen.attempt).snapshot()
        if snapshot is None or snapshot.status == "unknown":
            return None
        return seen.at(
            "isolated",
            snapshot.status,
            _task_name(snapshot.metadata, seen.events, snapshot.name),
            owner=_owner(snapshot.metadata, seen.events),
        )

    def revoke(self, location: Location, record: str, signal_name: Literal["TERM", "KILL"]) -> bool:
        """Stop (or kill) the Weft task; the record says so too, so no retry follows."""
        if location.status in ENDED:
            return True
        task = get_client().task(location.attempt or record)
        if signal_name == "TERM":
            task.stop()
        else:
            task.kill()
        if read_outcome(record) is None:
            write_outcome(record, revoked(location.name, signal_name, owner=location.owner))
        return True

    def wait(self, attempt: str, timeout: float | None) -> TaskResult:
        """Wait for the Weft task `attempt` to end; raises `TimeoutError` after `timeout`."""
        try:
            return get_client().task(attempt).result(timeout=timeout)
        except CommandTimeoutError as exc:
            raise TimeoutError(f"task {attempt} did not finish within {timeout!r} seconds") from exc

    def error_text(self, attempt: str) -> str | None:
        """The error Weft recorded for the task `attempt`, if any."""
        snapshot = get_client().task(attempt).snapshot()
        return snapshot.error if snapshot is not None else None
