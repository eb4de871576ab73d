"""weft_compat: run Celery-shaped task code on Weft.

from weft_compat import weft_task

@weft_task(time_limit=60)
def send_receipt(order_id: int) -> None: ...

submission = send_receipt.enqueue(42)          # was send_receipt.delay(42)
WeftSubmission.from_tid(submission.tid).state  # was AsyncResult(task_id).state
"""

from __future__ import annotations

from typing import Any

# The `TEST_MODE` setting names the modes that `testing` defines: a process that never
# imports `testing` itself (Django's test runner) must find them too.
from weft_compat import testing as _testing  # noqa: F401
from weft_compat._config import configure
from weft_compat._deferred import WeftDeferredSubmission
from weft_compat._outcome import TaskError
from weft_compat._progress import update_state
from weft_compat._registry import get_task
from weft_compat._submission import WeftSubmission
from weft_compat._task import WeftTask, register_task, weft_task
from weft_compat._taskclass import ExceptionInfo, WeftTaskBase, current_task
from weft_compat.exceptions import (
    CeleryNameRemoved,
    UnsupportedOption,
    WeftCompatError,
)

__all__ = [
    "CeleryNameRemoved",
    "ExceptionInfo",
    "TaskError",
    "UnsupportedOption",
    "WeftCompatError",
    "WeftDeferredSubmission",
    "WeftSubmission",
    "WeftTask",
    "WeftTaskBase",
    "configure",
    "current_task",
    "enqueue",
    "enqueue_on_commit",
    "get_task",
    "register_task",
    "update_state",
    "weft_task",
]

_CELERY_NAMES = {
    "shared_task": "weft_task",
    "delay": "WeftTask.enqueue",
    "Task": "WeftTaskBase",
    "apply_async": "WeftTask.using(...).enqueue",
    "AsyncResult": "WeftSubmission.from_tid",
    "send_task": "enqueue",
}


def enqueue(name: str, /, *args: Any, **kwargs: Any) -> WeftSubmission:
    """Enqueue a call of the task registered as `name` (Celery's `send_task`)."""
    return get_task(name).enqueue(*args, **kwargs)


def enqueue_on_commit(name: str, /, *args: Any, **kwargs: Any) -> WeftDeferredSubmission:
    """Enqueue a call of the task registered as `name` when the transaction commits."""
    deferred: WeftDeferredSubmission = get_task(name).enqueue_on_commit(*args, **kwargs)
    return deferred


def __getattr__(name: str) -> Any:
    replacement = _CELERY_NAMES.get(name)
    if replacement is not None:
        raise CeleryNameRemoved(
            f"weft_compat has no Celery {name!r}: use weft_compat.{replacement} "
            "(see migration_guide/README.md)"
        )
    raise AttributeError(f"module 'weft_compat' has no attribute {name!r}")
