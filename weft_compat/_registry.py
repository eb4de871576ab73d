"""Task name → `WeftTask`, as Celery's task registry.

Code that enqueues by name (`weft_compat.enqueue("app.tasks.x")`, Celery's
`send_task`) may import the module the name implies; a worker only looks names up
(`lookup`), since what it imports is its configuration (`_worker_config`). Registering a second,
different function under a taken name fails loudly: Celery would silently let the
last import win, and calls would run the wrong code.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any

from weft_compat._serialization import describe
from weft_compat.exceptions import DuplicateTaskName, InvalidTaskName, TaskNotRegistered

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

__all__ = ["get_task", "lookup", "register", "registered_names", "registered_tasks"]

_tasks: dict[str, WeftTask[Any, Any]] = {}


def _origin(task: WeftTask[Any, Any]) -> str:
    return f"{task.func.__module__}.{task.func.__qualname__}"


def register(task: WeftTask[Any, Any]) -> None:
    """Register `task` under its name; the same function re-imported replaces itself."""
    existing = _tasks.get(task.name)
    if existing is not None and _origin(existing) != _origin(task):
        raise DuplicateTaskName(
            f"task name {task.name!r} is already registered by {_origin(existing)!r}; "
            f"pass a distinct name=... to @weft_task on {_origin(task)!r}"
        )
    _tasks[task.name] = task


def get_task(name: str, *, module: str | None = None) -> WeftTask[Any, Any]:
    """Return the task registered as `name`, importing `module` (or the name's module) first."""
    if not isinstance(name, str) or not name:
        raise InvalidTaskName(
            f"task name {describe(name)} is not a task's name; pass the name it is "
            "registered under as a string, such as 'orders.tasks.send_receipt'"
        )
    task = _tasks.get(name)
    if task is not None:
        return task
    candidates = [module] if module else []
    if "." in name:
        candidates.append(name.rsplit(".", 1)[0])
    for candidate in candidates:
        try:
            importlib.import_module(candidate)
        except ImportError:
            continue
        task = _tasks.get(name)
        if task is not None:
            return task
    close = difflib.get_close_matches(name, sorted(_tasks), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise TaskNotRegistered(
        f"no task is registered as {name!r}: import the module that defines it "
        f"(or add its app to INSTALLED_APPS) before enqueueing by name{hint}"
    )


def lookup(name: str) -> WeftTask[Any, Any] | None:
    """The task registered as `name`, or None; imports nothing (what a worker uses)."""
    return _tasks.get(name)


def registered_tasks() -> list[WeftTask[Any, Any]]:
    """Every registered task."""
    return list(_tasks.values())


def registered_names() -> list[str]:
    """All registered task names, sorted."""
    return sorted(_tasks)


def unregister(name: str) -> None:
    """Forget a task (tests that define tasks inside functions use it)."""
    _tasks.pop(name, None)
