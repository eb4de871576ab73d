"""What a bound task (`bind=True`) receives as `self`.

Celery passes the task object and keeps per-call data on `self.request`; code reads
`self.request.id`, `self.request.retries`, `self.name`, `self.update_state(...)`.
Those names keep Celery's spelling and meaning here. Anything else on `self` is looked
up on the task itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

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

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._task, attribute)

    def __repr__(self) -> str:
        return f"<bound {self._task.name} {self.request!r}>"
