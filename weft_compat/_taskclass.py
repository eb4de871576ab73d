"""`WeftTaskBase`: the base of task classes, Celery's `Task`, and what `self` is.

Celery projects give their tasks a `base=` class (or an app-wide `task_cls`) whose hooks
do real work: `before_start`, `on_success`, `on_failure`, `on_retry`, `after_return`, a
`__call__` that sets up context around the run; class attributes carry options; some
tasks are classes with a `run` method. All of that keeps Celery's names and arguments
here. Each registered task has one instance of its class per process (as Celery's
tasks are singletons); a bound task (`bind=True`) receives it as `self`, with this
call's `request`, `retry`, `update_state`, `name`, `max_retries` and whatever the class
adds. A function task's class is a subclass of its base whose `run` is the function.

The hooks run where the call runs, in both lanes and in the immediate test mode; their
order and arguments follow Celery's tracer (`_execute`).
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from weft_compat._context import TaskRequest
from weft_compat._progress import current_request, store_state
from weft_compat._retry import retry
from weft_compat.exceptions import MaxRetriesExceededError, UnsupportedOption

if TYPE_CHECKING:
    from weft_compat._task import WeftTask
    from weft_compat.exceptions import Retry

__all__ = ["ExceptionInfo", "WeftTaskBase", "class_options", "current_task", "task_class_for"]


class ExceptionInfo:
    """The `einfo` hooks receive: the exception, its type and its traceback as text."""

    def __init__(self, exception: BaseException) -> None:
        self.exception = exception
        self.type = type(exception)
        self.tb: TracebackType | None = exception.__traceback__
        self.traceback = "".join(traceback.format_exception(exception))

    def __str__(self) -> str:
        return self.traceback

    def __repr__(self) -> str:
        return f"<ExceptionInfo {self.type.__qualname__}: {self.exception}>"


class WeftTaskBase:
    """Base class of task classes: subclass it where Celery code subclassed `Task`.

    Give it to `@weft_task(base=...)`, name it in the `TASK_CLASS` setting (Celery's
    `task_cls`), or give it a `run` method and register it with `register_task`.
    Class attributes named like `@weft_task`'s options (`autoretry_for`, `max_retries`,
    `time_limit`, `queue`, `ignore_result`, ...) are that task's options, which the
    decorator's own keywords override. See migration_guide/task-classes.md.
    """

    # Celery code catches `self.MaxRetriesExceededError`.
    MaxRetriesExceededError: ClassVar[type[MaxRetriesExceededError]] = MaxRetriesExceededError
    _weft_task: WeftTask[Any, Any] | None = None

    # --- what a call sees on `self`

    @property
    def request(self) -> TaskRequest:
        """This call's request (`id`, `retries`, `args`, `kwargs`, ...)."""
        request = current_request()
        if request is not None and request.task == self.name:
            return request
        return TaskRequest(task_name=self.name, called_directly=True)

    @property
    def name(self) -> str:
        """The registered task name."""
        return self._task().name

    @property
    def max_retries(self) -> int | None:
        """The task's retry limit (Celery's `self.max_retries`)."""
        return self._task().config.max_retries

    @property
    def default_retry_delay(self) -> float:
        """Seconds before a retry when none is given (Celery's `default_retry_delay`)."""
        return self._task().config.default_retry_delay

    def update_state(
        self, task_id: str | None = None, state: str = "PROGRESS", meta: Any = None
    ) -> None:
        """Report a custom state (Celery's `self.update_state(state=..., meta=...)`).

        Handles in any process read it as `state` and `info` until the call ends.
        """
        call_id = task_id or self.request.id
        if call_id is not None:
            store_state(call_id, state, meta)

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
        return retry(
            self._task(),
            self.request,
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
        )

    # --- the run and its hooks, with Celery's names and arguments

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the task; override it to wrap every run (call `super().__call__`)."""
        return self.run(*args, **kwargs)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """The task's body: the decorated function, or a class-based task's own `run`."""
        raise NotImplementedError(
            f"{type(self).__qualname__} has no run(); define run(self, ...) on a class-based "
            "task, or use the class as @weft_task(base=...)"
        )

    def before_start(self, task_id: str | None, args: Any, kwargs: Any) -> None:
        """Called in the worker before the run."""

    def on_success(self, retval: Any, task_id: str | None, args: Any, kwargs: Any) -> None:
        """Called in the worker after a run that returned `retval`."""

    def on_failure(
        self,
        exc: BaseException,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo,
    ) -> None:
        """Called in the worker after a run that raised `exc` and will not be retried."""

    def on_retry(
        self,
        exc: BaseException,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo,
    ) -> None:
        """Called in the worker after a run that asked for another attempt."""

    def after_return(
        self,
        status: str,
        retval: Any,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: ExceptionInfo | None,
    ) -> None:
        """Called in the worker after every run: `status` is SUCCESS, FAILURE or RETRY."""

    # --- the rest of the task (`self.enqueue(...)`, `self.using(...)`) is the task's

    def _task(self) -> WeftTask[Any, Any]:
        task = self._weft_task
        if task is None:
            raise RuntimeError(
                f"{type(self).__qualname__} is a task class, not a registered task; "
                "register it with register_task() or use it as @weft_task(base=...)"
            )
        return task

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") or self._weft_task is None:
            raise AttributeError(
                f"{type(self).__qualname__!r} object has no attribute {attribute!r}"
            )
        return getattr(self._weft_task, attribute)

    def __repr__(self) -> str:
        name = self._weft_task.name if self._weft_task is not None else "unregistered"
        return f"<{type(self).__qualname__} {name}>"


def _own_attributes(cls: type[WeftTaskBase]) -> Iterator[tuple[str, Any]]:
    # What the project's classes define, nearest first; WeftTaskBase's own are defaults.
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass is WeftTaskBase or not issubclass(klass, WeftTaskBase):
            continue
        for name, value in vars(klass).items():
            if name not in seen:
                seen.add(name)
                yield name, value


def class_options(
    cls: type[WeftTaskBase], accepted: frozenset[str], refused: Mapping[str, str]
) -> dict[str, Any]:
    """The task options a task class's attributes set (`name` excepted).

    An attribute named like a refused option raises `UnsupportedOption`, as the same
    keyword given to `@weft_task` does.
    """
    options: dict[str, Any] = {}
    for name, value in _own_attributes(cls):
        if name in refused:
            raise UnsupportedOption(
                f"{cls.__qualname__}.{name} = {value!r} is a task option weft_compat does not "
                f"support: {refused[name]} (see migration_guide/decorator.md#{name.lower()})"
            )
        if name in accepted and name != "name" and not _is_code(value):
            options[name] = value
    return options


def _is_code(value: Any) -> bool:
    # A method or property named like an option is the class's own code, not an option.
    return inspect.isfunction(value) or isinstance(value, property | staticmethod | classmethod)


def task_class_for(
    base: type[WeftTaskBase], func: Callable[..., Any], *, bind: bool
) -> type[WeftTaskBase]:
    """The class of a function task: `base` with the function as its `run`."""
    if bind:

        def run(self: WeftTaskBase, *args: Any, **kwargs: Any) -> Any:
            return func(self, *args, **kwargs)

    else:

        def run(self: WeftTaskBase, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

    namespace = {"run": run, "__module__": func.__module__, "__doc__": func.__doc__}
    return type(func.__name__, (base,), namespace)


class _CurrentTask:
    """Celery's `current_task`: the running task's instance, false outside a call."""

    def _instance(self) -> WeftTaskBase | None:
        request = current_request()
        return request.instance if request is not None else None

    def __bool__(self) -> bool:
        return self._instance() is not None

    def __getattr__(self, attribute: str) -> Any:
        instance = self._instance()
        if instance is None:
            raise AttributeError(
                f"no task is running here, so current_task has no {attribute!r}; read it "
                "inside a task's call"
            )
        return getattr(instance, attribute)

    def __repr__(self) -> str:
        return f"<current_task {self._instance()!r}>"


current_task = _CurrentTask()
