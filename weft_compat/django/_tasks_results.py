"""Django's `TaskResult` for a call, built from weft_compat's record and the call's notes.

Imported through `weft_compat.django.backend` only, which says what is missing when
Django has no `django.tasks` (before 6.0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.tasks import Task, TaskResult, TaskResultStatus
from django.tasks.base import TaskError
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone
from django.utils.module_loading import import_string

from weft_compat import _registry
from weft_compat._errors import TaskError as WeftError
from weft_compat._lane import ENDED
from weft_compat._locate import locate
from weft_compat._serialization import decode
from weft_compat._states import SUCCESS
from weft_compat._submission import WeftSubmission, local_outcomes
from weft_compat._timestamps import created_at

if TYPE_CHECKING:
    from weft_compat._outcome import Outcome

    type AnyTask = Task[..., Any]
    type AnyResult = TaskResult[Any, Any]

__all__ = ["django_task", "moment", "new_result", "stored_result", "with_header"]

# Raw statuses of a call that waits (again, after a lost worker): Django's READY.
_WAITING: Final = frozenset({"scheduled", "created", "queued", "reserved"})


def django_task(func: Callable[..., Any]) -> AnyTask | None:
    """The Django task a weft_compat task function runs, if it is an `adapter`'s."""
    found = getattr(func, "django_task", None)
    return found if isinstance(found, Task) else None


def new_result(
    task: AnyTask, call_id: str, args: list[Any], kwargs: dict[str, Any], alias: str
) -> AnyResult:
    """The `READY` result of the call `call_id` of `task`, just enqueued through `alias`."""
    return TaskResult(
        task=task,
        id=call_id,
        status=TaskResultStatus.READY,
        enqueued_at=_created(call_id),
        started_at=None,
        finished_at=None,
        last_attempted_at=None,
        args=args,
        kwargs=kwargs,
        backend=alias,
        errors=[],
        worker_ids=[],
    )


def _created(call_id: str) -> datetime | None:
    seconds = created_at(call_id)
    return None if seconds is None else _from_seconds(seconds)


def _from_seconds(seconds: float) -> datetime:
    when = datetime.fromtimestamp(seconds, UTC)
    return when if settings.USE_TZ else timezone.make_naive(when)


def moment(text: object) -> datetime | None:
    """The datetime a note holds as ISO 8601 text, or None."""
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def _stored_task(enqueued: Mapping[str, Any]) -> AnyTask:
    path = str(enqueued.get("task"))
    registered = _registry.lookup(path)
    found: object = django_task(registered.func) if registered is not None else None
    if found is None:
        # Not validated in this process yet: imported as Django's own `Task` unpickling does.
        try:
            found = import_string(path)
        except ImportError as exc:
            raise TaskResultDoesNotExist(
                f"the task {path!r} of this result cannot be imported ({exc}); deploy the "
                "module that defines it where results are read"
            ) from exc
    if not isinstance(found, Task):
        raise TaskResultDoesNotExist(
            f"{path!r} is no longer a django.tasks Task; read the call with "
            "WeftSubmission.from_tid(id)"
        )
    return with_header(found, enqueued)


def with_header(task: AnyTask, header: Mapping[str, Any]) -> AnyTask:
    """`task` as it was enqueued: the backend alias, queue, priority and `run_after` the
    call's header (or enqueued note) names; `replace`, unlike `using`, also clears one."""
    if not header:
        return task
    return replace(
        task,
        backend=str(header.get("backend", task.backend)),
        queue_name=str(header.get("queue_name", task.queue_name)),
        priority=int(header.get("priority", task.priority)),
        run_after=moment(header.get("run_after")),
    )


def stored_result(
    call_id: str, enqueued: Mapping[str, Any], notes: list[dict[str, Any]]
) -> AnyResult:
    """The result of the call `call_id` as its record and `notes` say now: the status from
    weft_compat's view of the call (ended, or started by a worker, or waiting), the rest
    from the notes (`enqueued` among them)."""
    task = _stored_task(enqueued)
    started = [note for note in notes if note.get("phase") == "started"]
    finished = [note for note in notes if note.get("phase") == "finished"]
    outcome, status_text = _weft_end(call_id)
    errors: list[TaskError] = []
    value: Any = None
    finished_at = moment(finished[-1].get("at")) if finished else None
    if outcome is not None or status_text in ENDED:
        if outcome is not None and outcome.state == SUCCESS:
            status = TaskResultStatus.SUCCESSFUL
            value = decode(outcome.value) if outcome.value is not None else None
        else:
            status = TaskResultStatus.FAILED
            errors = _errors(call_id, finished, outcome)
        if finished_at is None and outcome is not None and outcome.date_done is not None:
            finished_at = _from_seconds(outcome.date_done)
    elif started and status_text not in _WAITING:
        status = TaskResultStatus.RUNNING
    else:
        status = TaskResultStatus.READY
    result: AnyResult = TaskResult(
        task=task,
        id=call_id,
        status=status,
        enqueued_at=_created(call_id),
        started_at=moment(started[0].get("at")) if started else None,
        finished_at=finished_at,
        last_attempted_at=moment(started[-1].get("at")) if started else None,
        args=list(enqueued.get("args") or []),
        kwargs=dict(enqueued.get("kwargs") or {}),
        backend=str(enqueued.get("backend")),
        errors=errors,
        worker_ids=[str(note.get("worker_id")) for note in started],
    )
    object.__setattr__(result, "_return_value", value)
    return result


def _weft_end(call_id: str) -> tuple[Outcome | None, str | None]:
    # The call's outcome and raw status, as weft_compat sees them.
    if call_id in local_outcomes:
        outcome = local_outcomes[call_id]
        return outcome, outcome.raw_status if outcome is not None else "queued"
    location = locate(call_id)
    return location.outcome, location.status


def _errors(
    call_id: str, finished: list[dict[str, Any]], outcome: Outcome | None
) -> list[TaskError]:
    # The errors the worker noted (Django's form, the original exception); else what
    # weft_compat recorded of a call that ended without a note (a time limit, a revoke).
    noted = [
        TaskError(
            exception_class_path=str(error.get("exception_class_path")),
            traceback=str(error.get("traceback")),
        )
        for note in finished
        for error in note.get("errors") or []
    ]
    if noted:
        return noted
    recorded: list[WeftError] = []
    if outcome is not None and outcome.error is not None:
        recorded = [outcome.error]
    elif outcome is None:
        recorded = WeftSubmission(call_id).errors
    if not recorded:
        return [
            TaskError(
                exception_class_path="weft_compat.exceptions.TaskRevokedError",
                traceback=f"weft_compat.exceptions.TaskRevokedError: call {call_id} was revoked\n",
            )
        ]
    return [
        TaskError(
            exception_class_path=(
                error.exception_class_path
                if "." in error.exception_class_path
                else f"builtins.{error.exception_class_path or 'Exception'}"
            ),
            traceback=error.traceback or error.message,
        )
        for error in recorded
    ]
