"""`TaskRequest`: Celery's `self.request`, what one call knows about itself.

Celery keeps per-call data on `self.request`; code reads `self.request.id`,
`self.request.retries`, `self.request.args`. Those names keep Celery's spelling and
meaning here. The task class that `self` is lives in `_taskclass`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weft_compat._retry import RetryPlan
    from weft_compat._taskclass import WeftTaskBase

__all__ = ["TaskRequest"]


class TaskRequest:
    """Celery's `self.request` for one call."""

    def __init__(
        self,
        *,
        task_name: str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        id: str | None = None,
        id_resolver: Callable[[], str | None] | None = None,
        retries: int = 0,
        called_directly: bool = False,
        is_eager: bool = False,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        self.task = task_name
        self.args = list(args)
        self.kwargs = dict(kwargs or {})
        self.retries = retries
        self.called_directly = called_directly
        self.is_eager = is_eager
        self.headers = dict(headers or {})
        self._id = id
        self._id_resolver = id_resolver
        # Set by `retry()`: the next attempt the worker schedules when this one ends.
        self.retry_plan: RetryPlan | None = None
        # The task's instance running this call (Celery's `current_task`).
        self.instance: WeftTaskBase | None = None

    @property
    def id(self) -> str | None:
        """The call's task id (the Weft tid); None when the function was called directly."""
        if self._id is None and self._id_resolver is not None:
            self._id = self._id_resolver()
            self._id_resolver = None
        return self._id

    def __repr__(self) -> str:
        return f"<TaskRequest {self.task} id={self._id!r} retries={self.retries}>"
