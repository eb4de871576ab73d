"""`WeftTaskBackend`: Django's Tasks API (`django.tasks`, Django 6+) run by weft_compat.

    TASKS = {
        "default": {
            "BACKEND": "weft_compat.django.backend.WeftTaskBackend",
            "QUEUES": ["default", "reports"],
            "OPTIONS": {
                "LANE": "pooled",
                "QUEUE_MAP": {"reports": {"queue": "heavy", "lane": "isolated"}},
            },
        }
    }

Each `django.tasks` task the backend validates is registered with weft_compat under its
module path, so its calls take weft_compat's one submission path: the same lanes, queues,
workers, deferred calls (`run_after`), test modes and handles as `@weft_task` tasks. A
`TaskResult.id` is a weft_compat call id, so `WeftSubmission.from_tid(result.id)` and the
views read it too. This module owns the configuration, `enqueue` (Django's JSON rules for
the arguments, `task_enqueued`) and `get_result`; the worker side of a call is
`_tasks_run`, the reading of a result `_tasks_results`, the notes both use `_tasks_record`.
It is the one module that checks `django.tasks` exists (Django 6+); the other three are
imported through it.

`OPTIONS`: `LANE` ("pooled" or "isolated"; default: the weft_compat queue's own lane) and
`QUEUE_MAP`, from a Django queue name to a weft_compat queue name or to
`{"queue": ..., "lane": ...}`; an unmapped Django queue is the weft_compat queue of the same
name. Priorities are refused (`supports_priority = False`): weft_compat's queues run calls
in the order they arrive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import django
from django.core.exceptions import ImproperlyConfigured

try:
    from django.tasks import Task, TaskResult
    from django.tasks.backends.base import BaseTaskBackend
    from django.tasks.exceptions import InvalidTask, InvalidTaskBackend, TaskResultDoesNotExist
    from django.tasks.signals import task_enqueued
except ImportError as exc:  # Django before 6.0
    raise ImproperlyConfigured(
        f"weft_compat.django.backend needs django.tasks, which Django "
        f"{django.get_version()!r} lacks; upgrade to Django 6.0 or later, or keep calling "
        "@weft_task tasks"
    ) from exc
from django.utils import timezone
from django.utils.json import normalize_json

from weft_compat._serialization import describe
from weft_compat._submission import local_outcomes
from weft_compat._task import WeftTask
from weft_compat.django._tasks_record import HEADER, is_local, read_notes, write_note
from weft_compat.django._tasks_results import new_result, stored_result
from weft_compat.django._tasks_run import TaskInterrupted, adapter

if TYPE_CHECKING:
    type AnyTask = Task[..., Any]
    type AnyResult = TaskResult[Any, Any]

__all__ = ["TaskInterrupted", "WeftTaskBackend"]

_LANES: Final = ("pooled", "isolated")
_QUEUE_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}")
# Weft task templates built per Task value and backend, at most this many.
_CACHED_CALLS: Final = 512


@dataclass(frozen=True, slots=True)
class _Route:
    """Where the calls of one Django queue go: a weft_compat queue, and a lane or None."""

    queue: str
    lane: str | None


class WeftTaskBackend(BaseTaskBackend):
    """Runs `django.tasks` tasks in weft_compat's lanes and reads their results back."""

    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    # weft_compat's queues run calls in arrival order: a priority would not be honoured.
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        unknown = sorted(set(self.options) - {"LANE", "QUEUE_MAP"})
        if unknown:
            raise InvalidTaskBackend(
                f"TASKS[{alias!r}]['OPTIONS'] has the unknown key(s) {unknown!r}; "
                "WeftTaskBackend takes 'LANE' and 'QUEUE_MAP'"
            )
        self.lane = _lane(self.options.get("LANE"), f"TASKS[{alias!r}]['OPTIONS']['LANE']")
        self.routes = _routes(alias, self.options.get("QUEUE_MAP", {}), self.queues, self.lane)
        self._calls: dict[AnyTask, WeftTask[..., Any]] = {}

    def route(self, queue_name: str) -> _Route:
        """The weft_compat queue and lane of the Django queue `queue_name`."""
        return self.routes.get(queue_name) or _Route(queue_name, self.lane)

    def validate_task(self, task: AnyTask) -> None:
        """Django's checks, then that the task's queue is one weft_compat can name; a valid
        task is registered with weft_compat, so a worker that imports it can run it."""
        super().validate_task(task)
        queue = self.route(task.queue_name).queue
        if not _QUEUE_NAME.fullmatch(queue):
            raise InvalidTask(
                f"Queue {task.queue_name!r} maps to the weft_compat queue {queue!r}, which is "
                "not a valid queue name; map it to one of letters, digits, '_', '.' and '-' "
                f"in TASKS[{self.alias!r}]['OPTIONS']['QUEUE_MAP']"
            )
        adapter(task)

    def enqueue(self, task: AnyTask, args: Sequence[Any], kwargs: Mapping[str, Any]) -> AnyResult:
        """Submit one call of `task` (at once, also inside `atomic()`, as Django does)."""
        self.validate_task(task)
        plain_args, plain_kwargs = _plain_arguments(task, args, kwargs)
        handle = self._weft_call(task).enqueue(*plain_args, **plain_kwargs)
        local = is_local(handle.tid)
        ran = local and local_outcomes[handle.tid] is not None
        result = new_result(task, handle.tid, plain_args, plain_kwargs, self.alias)
        try:
            if not ran:  # The immediate test mode sent `task_enqueued` before it ran the call.
                task_enqueued.send(type(self), task_result=result)
        finally:
            # After the signal: a worker sends `task_started` once it sees this note.
            write_note(
                handle.tid,
                "enqueued",
                local=local,
                task=task.module_path,
                args=plain_args,
                kwargs=plain_kwargs,
                **_header(task),
            )
        return self.get_result(handle.tid) if ran else result

    def get_result(self, result_id: str) -> AnyResult:
        """The result of the call `result_id`, read from its record wherever it ran."""
        if not isinstance(result_id, str) or not result_id.isdigit() or len(result_id) != 19:
            raise TaskResultDoesNotExist(
                f"{result_id!r} is no id this backend issued; pass the `id` of a TaskResult "
                "that WeftTaskBackend.enqueue returned"
            )
        notes = read_notes(result_id)
        enqueued = next((note for note in notes if note.get("phase") == "enqueued"), None)
        if enqueued is None:
            raise TaskResultDoesNotExist(
                f"{result_id!r} was not enqueued through django.tasks (a @weft_task call, or "
                "an unknown or expired id); read weft_compat calls with "
                "WeftSubmission.from_tid(id) (see migration_guide/django-tasks.md#reading-results)"
            )
        return stored_result(result_id, enqueued, notes)

    def _weft_call(self, task: AnyTask) -> WeftTask[..., Any]:
        # The weft_compat task with this Django task's queue, lane, `run_after` and header,
        # built once per Task value (options are validated when built, not per call).
        call = self._calls.get(task)
        if call is None:
            route = self.route(task.queue_name)
            options: dict[str, Any] = {"queue": route.queue, "headers": {HEADER: _header(task)}}
            if route.lane is not None:
                options["lane"] = route.lane
            if task.run_after is not None:
                options["eta"] = _aware(task.run_after)
            call = adapter(task).using(**options)
            if len(self._calls) >= _CACHED_CALLS:
                self._calls.clear()
            self._calls[task] = call
        return call


def _lane(value: object, where: str) -> str | None:
    if value is None or value in _LANES:
        return value
    raise InvalidTaskBackend(f"{where}={value!r} is no lane; use 'pooled' or 'isolated'")


def _routes(
    alias: str, raw: object, queues: set[str], default_lane: str | None
) -> dict[str, _Route]:
    where = f"TASKS[{alias!r}]['OPTIONS']['QUEUE_MAP']"
    if not isinstance(raw, Mapping):
        raise InvalidTaskBackend(
            f"{where}={raw!r} is not a dict; map Django queue names to weft_compat queues"
        )
    routes: dict[str, _Route] = {}
    for name, target in raw.items():
        if queues and name not in queues:
            raise InvalidTaskBackend(
                f"{where} maps the queue {name!r}, which is not in TASKS[{alias!r}]['QUEUES'] "
                f"({sorted(queues)!r}); add it there or remove it from the map"
            )
        if isinstance(target, str):
            target = {"queue": target}
        if not isinstance(target, Mapping) or set(target) - {"queue", "lane"}:
            raise InvalidTaskBackend(
                f"{where}[{name!r}]={target!r} is neither a queue name nor a dict with "
                "'queue' and 'lane'; write e.g. {'queue': 'heavy', 'lane': 'isolated'}"
            )
        queue = target.get("queue", name)
        if not isinstance(queue, str) or not _QUEUE_NAME.fullmatch(queue):
            raise InvalidTaskBackend(
                f"{where}[{name!r}] names the weft_compat queue {queue!r}, which is not a "
                "valid queue name; use letters, digits, '_', '.' and '-'"
            )
        lane = _lane(target.get("lane", default_lane), f"{where}[{name!r}]['lane']")
        routes[name] = _Route(queue, lane)
    return routes


def _header(task: AnyTask) -> dict[str, Any]:
    return {
        "backend": task.backend,
        "queue_name": task.queue_name,
        "priority": task.priority,
        "run_after": task.run_after.isoformat() if task.run_after is not None else None,
    }


def _aware(moment: datetime) -> datetime:
    # With USE_TZ off Django accepts a naive `run_after`, meant in the current time zone.
    if timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment)


def _plain_arguments(
    task: AnyTask, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The arguments as Django's JSON rules normalise them; refuses what Django refuses."""
    try:
        plain_args: list[Any] = normalize_json(list(args))  # type: ignore[assignment]
        plain_kwargs: dict[str, Any] = normalize_json(dict(kwargs))  # type: ignore[assignment]
        return plain_args, plain_kwargs
    except (TypeError, ValueError) as exc:
        for position, value in [*enumerate(args), *dict(kwargs).items()]:
            try:
                normalize_json(value)
            except (TypeError, ValueError):
                raise type(exc)(
                    f"argument {position!r} of {task.module_path!r} is {describe(value)}, "
                    f"which django.tasks refuses ({exc}); pass JSON types instead (a "
                    "datetime as .isoformat(), a model instance as its pk)"
                ) from exc
        raise
