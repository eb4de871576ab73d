"""The schedule in code: what Celery projects register with `add_periodic_task`.

`add_periodic_task(schedule, task, name=..., args=..., **options)` and
`add_beat_schedule({...})` (the code form of `app.conf.beat_schedule = {...}`) add
entries when their module is imported; `weft-compat beat` and `weft-compat worker`
import the Django apps' task modules and the `IMPORTS` setting, so a call at a task
module's top level is seen by every process that publishes the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from weft_compat.beat._schedule import (
    Missed,
    ScheduleEntry,
    parse_entries,
    parse_entry,
)

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

__all__ = ["add_beat_schedule", "add_periodic_task", "clear_code_entries", "code_entries"]

_entries: dict[str, ScheduleEntry] = {}


def add_periodic_task(
    schedule: Any,
    task: WeftTask[..., Any] | str,
    *,
    name: str | None = None,
    args: tuple[Any, ...] | list[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    missed: Missed = "run_once",
    **options: Any,
) -> str:
    """Run `task` on `schedule` (seconds, a timedelta or a crontab); returns the entry's name.

    Celery's `sender.add_periodic_task(10.0, ping.s("hi"), name="ping")` becomes
    `add_periodic_task(10.0, ping, args=("hi",), name="ping")`; `options` are the call
    options the entry's calls get (`expires`, `queue`, `priority`, ...).
    """
    task_name = task if isinstance(task, str) else getattr(task, "name", None)
    if not isinstance(task_name, str):
        raise TypeError(
            f"add_periodic_task(task={task!r}) needs a weft task or its registered name"
        )
    key = name or _default_name(task_name, tuple(args), dict(kwargs or {}))
    raw = {
        "task": task_name,
        "schedule": schedule,
        "args": tuple(args),
        "kwargs": dict(kwargs or {}),
        "options": options,
        "missed": missed,
    }
    _entries[key] = parse_entry(key, raw, "add_periodic_task(...)")
    return key


def _default_name(task_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    # The call as written, as Celery names an unnamed entry by its signature.
    if not args and not kwargs:
        return task_name
    shown = [repr(value) for value in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{task_name}({', '.join(shown)})"


def add_beat_schedule(schedule: Mapping[str, Any]) -> None:
    """Add Celery-shaped entries (`{"name": {"task": ..., "schedule": ...}}`) from code."""
    for entry in parse_entries(schedule, "add_beat_schedule(...)"):
        _entries[entry.name] = entry


def code_entries() -> list[ScheduleEntry]:
    """The entries added in code, in the order they were added."""
    return list(_entries.values())


def clear_code_entries() -> None:
    """Forget the entries added in code (tests use it)."""
    _entries.clear()
