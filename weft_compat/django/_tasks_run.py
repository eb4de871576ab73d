"""The weft_compat task that runs a `django.tasks` task's calls, and one attempt of a call.

Each Django task the backend validates is registered with weft_compat under its module
path (`adapter`), so its calls take weft_compat's one submission path and any worker that
imports the task's module can run them. An attempt runs as Django's immediate backend runs
a call: `task_started`, the function (with its `TaskContext`), Django's JSON rules for the
return value, `task_finished`; each step is noted on the call's record (`_tasks_record`).

Imported through `weft_compat.django.backend` only, which says what is missing when
Django has no `django.tasks` (before 6.0).
"""

from __future__ import annotations

import os
import socket
import time
from traceback import format_exception
from typing import TYPE_CHECKING, Any, Final

from django.tasks import TaskContext, TaskResultStatus
from django.tasks.base import TaskError
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone
from django.utils.json import normalize_json

from weft_compat import _registry
from weft_compat._serialization import describe
from weft_compat._task import WeftTask, weft_task
from weft_compat.django._tasks_record import HEADER, read_notes, write_note
from weft_compat.django._tasks_results import django_task, moment, new_result, with_header
from weft_compat.exceptions import WeftCompatError

if TYPE_CHECKING:
    from django.tasks import Task, TaskResult

    from weft_compat._context import TaskRequest

    type AnyTask = Task[..., Any]
    type AnyResult = TaskResult[Any, Any]

__all__ = ["TaskInterrupted", "adapter"]

# How long a worker waits for the enqueuing process to note the call (after sending
# `task_enqueued`), and how often it looks.
_ENQUEUED_WAIT_SECONDS: Final = 10.0
_POLL_SECONDS: Final = 0.005


class TaskInterrupted(WeftCompatError):
    """A `django.tasks` task raised `SystemExit` (or, in a worker, `KeyboardInterrupt`).

    Django's immediate backend records `SystemExit` as the task's failure; weft_compat's
    record keeps this exception in its place, and `TaskResult.errors` the original one.
    """


def adapter(task: AnyTask) -> WeftTask[..., Any]:
    """The weft_compat task registered for the Django task `task`, under its module path."""
    name = task.module_path
    existing = _registry.lookup(name)
    known = django_task(existing.func) if existing is not None else None
    if existing is not None and known is not None and known.func is task.func:
        return existing
    base = task

    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _run_attempt(base, self.request, list(args), kwargs)

    # The module and name of the Django function, so a worker imports its module (which
    # registers this task again when it validates its Task).
    run.__module__ = task.func.__module__
    run.__qualname__ = task.func.__qualname__
    run.__name__ = task.func.__name__
    run.__doc__ = task.func.__doc__
    run.django_task = task  # type: ignore[attr-defined]
    registered: WeftTask[..., Any] = weft_task(name=name, bind=True)(run)
    return registered


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _run_attempt(
    base: AnyTask, request: TaskRequest, args: list[Any], kwargs: dict[str, Any]
) -> Any:
    """Run one attempt of a Django task's call in this (worker) process, as Django's
    immediate backend runs a call: signals, context, JSON rules, failures recorded."""
    header = request.headers.get(HEADER) or {}
    task = with_header(base, header)
    alias = task.backend
    call_id = request.id or ""
    eager = bool(request.is_eager)
    backend_type = type(task.get_backend())
    # A call enqueued by name (`weft_compat.enqueue`) has no header and no enqueued note.
    notes = _enqueued_notes(call_id) if header and not eager else read_notes(call_id, local=eager)
    earlier = [note for note in notes if note.get("phase") == "started"]
    result = new_result(task, call_id, args, kwargs, alias)
    object.__setattr__(result, "worker_ids", [str(note.get("worker_id")) for note in earlier])
    if eager:
        task_enqueued.send(backend_type, task_result=result)
    now = timezone.now()
    worker = _worker_id()
    write_note(call_id, "started", local=eager, at=now.isoformat(), worker_id=worker)
    first = moment(earlier[0].get("at")) if earlier else now
    object.__setattr__(result, "status", TaskResultStatus.RUNNING)
    object.__setattr__(result, "started_at", first)
    object.__setattr__(result, "last_attempted_at", now)
    result.worker_ids.append(worker)
    task_started.send(sender=backend_type, task_result=result)
    try:
        if task.takes_context:
            raw = task.call(TaskContext(task_result=result), *args, **kwargs)
        else:
            raw = task.call(*args, **kwargs)
        value = normalize_json(raw)
    except BaseException as exc:
        if eager and isinstance(exc, KeyboardInterrupt):
            raise  # As Django's immediate backend: whoever interrupted gets the interrupt.
        error = TaskError(
            exception_class_path=f"{type(exc).__module__}.{type(exc).__qualname__}",
            traceback="".join(format_exception(exc)),
        )
        _finish(result, TaskResultStatus.FAILED, [error], eager=eager)
        task_finished.send(backend_type, task_result=result)
        if isinstance(exc, Exception):
            raise
        raise TaskInterrupted(
            f"{task.module_path!r} raised {type(exc).__name__}({describe(exc)}), which ends "
            "the call as a failure; raise an Exception subclass to fail a task"
        ) from exc
    _finish(result, TaskResultStatus.SUCCESSFUL, [], eager=eager)
    object.__setattr__(result, "_return_value", value)
    task_finished.send(backend_type, task_result=result)
    return value


def _enqueued_notes(call_id: str) -> list[dict[str, Any]]:
    """The call's notes once the enqueuing process has sent `task_enqueued` (it notes the
    call after the signal), so the signals fire in order across processes; a caller lost
    between submitting and noting the call is waited for `_ENQUEUED_WAIT_SECONDS` only."""
    deadline = time.monotonic() + _ENQUEUED_WAIT_SECONDS
    while True:
        notes = read_notes(call_id, local=False)
        if any(note.get("phase") == "enqueued" for note in notes):
            return notes
        if time.monotonic() >= deadline:
            return notes
        time.sleep(_POLL_SECONDS)


def _finish(
    result: AnyResult, status: TaskResultStatus, errors: list[TaskError], *, eager: bool
) -> None:
    finished = timezone.now()
    write_note(
        result.id,
        "finished",
        local=eager,
        at=finished.isoformat(),
        errors=[
            {"exception_class_path": e.exception_class_path, "traceback": e.traceback}
            for e in errors
        ],
    )
    object.__setattr__(result, "finished_at", finished)
    object.__setattr__(result, "status", status)
    result.errors.extend(errors)
