"""What a bound task (`bind=True`) receives as `self`.

Celery passes the task object and keeps per-call data on `self.request`; code reads
`self.request.id`, `self.request.retries`, `self.name`, `self.update_state(...)`.
Those names keep Celery's spelling and meaning here. Anything else on `self` is looked
up on the task itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from weft_compat.exceptions import MaxRetriesExceededError

if TYPE_CHECKING:
    from weft_compat._retry import RetryPlan
    from weft_compat._task import WeftTask
    from weft_compat.exceptions import Retry

__all__ = ["BoundTask", "TaskRequest"]


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

    @property
    def id(self) -> str | None:
        """The call's task id (the Weft tid); None when the function was called directly."""
        if self._id is None and self._id_resolver is not None:
            self._id = self._id_resolver()
            self._id_resolver = None
        return self._id

    def __repr__(self) -> str:
        return f"<TaskRequest {self.task} id={self._id!r} retries={self.retries}>"


class BoundTask:
    """The `self` of a bound task: the task's attributes plus this call's `request`."""

    # Celery code catches `self.MaxRetriesExceededError`.
    MaxRetriesExceededError = MaxRetriesExceededError

    def __init__(self, task: WeftTask[Any, Any], request: TaskRequest) -> None:
        self._task = task
        self.request = request

    @property
    def name(self) -> str:
        """The registered task name."""
        return self._task.name

    def update_state(
        self, task_id: str | None = None, state: str = "PROGRESS", meta: Any = None
    ) -> None:
        """Report a custom state (Celery's `self.update_state(state=..., meta=...)`).

        Handles in any process read it as `state` and `info` until the call ends.
        """
        from weft_compat._progress import store_state

        call_id = task_id or self.request.id
        if call_id is not None:
            store_state(call_id, state, meta)

    @property
    def max_retries(self) -> int | None:
        """The task's retry limit (Celery's `self.max_retries`)."""
        return self._task.config.max_retries

    @property
    def default_retry_delay(self) -> float:
        """Seconds before a retry when none is given (Celery's `default_retry_delay`)."""
        return self._task.config.default_retry_delay

    def retry(
        self,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        exc: BaseException | None = None,
        throw: bool = True,
        eta: datetime | None = None,
        countdown: float | None = None,
        max_retries: int | None = None,
    ) -> Retry:
        """Schedule another attempt of this call and raise `Retry` (Celery's `self.retry`).

        The attempt is due after `countdown` seconds, at `eta`, or after the task's
        `default_retry_delay`; past `max_retries`, `exc` (or `MaxRetriesExceededError`)
        is raised instead. See migration_guide/retries.md.
        """
        from weft_compat._retry import retry

        return retry(
            self._task,
            self.request,
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
        )

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._task, attribute)

    def __repr__(self) -> str:
        return f"<bound {self._task.name} {self.request!r}>"
