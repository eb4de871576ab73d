"""weft_compat: run Celery-shaped task code on Weft.

from weft_compat import weft_task

@weft_task(time_limit=60)
def send_receipt(order_id: int) -> None: ...

submission = send_receipt.enqueue(42)          # was send_receipt.delay(42)
WeftSubmission.from_tid(submission.tid).state  # was AsyncResult(task_id).state
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

from weft_compat.exceptions import CeleryNameRemoved, UnsupportedOption, WeftCompatError

if TYPE_CHECKING:
    from weft_compat._by_name import enqueue, enqueue_on_commit
    from weft_compat._config import configure
    from weft_compat._deferred import WeftDeferredSubmission
    from weft_compat._outcome import TaskError
    from weft_compat._progress import update_state
    from weft_compat._registry import get_task
    from weft_compat._submission import WeftSubmission
    from weft_compat._task import WeftTask, register_task, weft_task
    from weft_compat._taskclass import ExceptionInfo, WeftTaskBase, current_task
    from weft_compat._tasklog import get_task_logger
    from weft_compat.beat._code import add_beat_schedule, add_periodic_task
    from weft_compat.beat._crontab import crontab
    from weft_compat.canvas import Step, WorkflowSubmission, chain, chord, group

__all__ = [
    "CeleryNameRemoved",
    "ExceptionInfo",
    "Step",
    "TaskError",
    "UnsupportedOption",
    "WeftCompatError",
    "WeftDeferredSubmission",
    "WeftSubmission",
    "WeftTask",
    "WeftTaskBase",
    "WorkflowSubmission",
    "add_beat_schedule",
    "add_periodic_task",
    "chain",
    "chord",
    "configure",
    "crontab",
    "current_task",
    "enqueue",
    "enqueue_on_commit",
    "get_task",
    "get_task_logger",
    "group",
    "register_task",
    "update_state",
    "weft_task",
]

# The runtime's public names and the modules that define them. They are imported on
# first use, so `weft-compat migrate` starts without loading the runtime (Weft's client,
# pydantic, kombu), which a command that only reads source files never needs.
_RUNTIME: Final = {
    "ExceptionInfo": "weft_compat._taskclass",
    "Step": "weft_compat.canvas",
    "WorkflowSubmission": "weft_compat.canvas",
    "chain": "weft_compat.canvas",
    "chord": "weft_compat.canvas",
    "group": "weft_compat.canvas",
    "TaskError": "weft_compat._outcome",
    "WeftDeferredSubmission": "weft_compat._deferred",
    "WeftSubmission": "weft_compat._submission",
    "WeftTask": "weft_compat._task",
    "WeftTaskBase": "weft_compat._taskclass",
    "add_beat_schedule": "weft_compat.beat._code",
    "add_periodic_task": "weft_compat.beat._code",
    "configure": "weft_compat._config",
    "crontab": "weft_compat.beat._crontab",
    "current_task": "weft_compat._taskclass",
    "enqueue": "weft_compat._by_name",
    "enqueue_on_commit": "weft_compat._by_name",
    "get_task": "weft_compat._registry",
    "get_task_logger": "weft_compat._tasklog",
    "register_task": "weft_compat._task",
    "update_state": "weft_compat._progress",
    "weft_task": "weft_compat._task",
}

_CELERY_NAMES: Final = {
    "shared_task": "weft_task",
    "delay": "WeftTask.enqueue",
    "Task": "WeftTaskBase",
    "apply_async": "WeftTask.using(...).enqueue",
    "AsyncResult": "WeftSubmission.from_tid",
    "send_task": "enqueue",
    "signature": "Step (task.step(...))",
    "GroupResult": "WorkflowSubmission.from_id",
}


def __getattr__(name: str) -> Any:
    module = _RUNTIME.get(name)
    if module is not None:
        # The `TEST_MODE` setting names the modes that `testing` defines: a process that
        # never imports `testing` itself (Django's test runner) must find them too.
        importlib.import_module("weft_compat.testing")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    replacement = _CELERY_NAMES.get(name)
    if replacement is not None:
        raise CeleryNameRemoved(
            f"weft_compat has no Celery {name!r}: use weft_compat.{replacement} "
            "(see migration_guide/README.md)"
        )
    raise AttributeError(f"module 'weft_compat' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_RUNTIME})
