"""Enqueueing a task by its registered name, as Celery's `send_task` does."""

from __future__ import annotations

from typing import Any

from weft_compat._deferred import WeftDeferredSubmission
from weft_compat._registry import get_task
from weft_compat._submission import WeftSubmission

__all__ = ["enqueue", "enqueue_on_commit"]


def enqueue(name: str, /, *args: Any, **kwargs: Any) -> WeftSubmission:
    """Enqueue a call of the task registered as `name` (Celery's `send_task`)."""
    return get_task(name).enqueue(*args, **kwargs)


def enqueue_on_commit(name: str, /, *args: Any, **kwargs: Any) -> WeftDeferredSubmission:
    """Enqueue a call of the task registered as `name` when the transaction commits."""
    deferred: WeftDeferredSubmission = get_task(name).enqueue_on_commit(*args, **kwargs)
    return deferred
