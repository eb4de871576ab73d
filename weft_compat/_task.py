"""`@weft_task` and `WeftTask`: a registered function that can be called or enqueued.

`WeftTask` replaces Celery's task object. Calling it runs the function inline, as in
Celery; `enqueue()` replaces `delay()`; `using(...)` returns a copy with per-call
options, the role of `apply_async(...)` keywords. Celery's names for these are not
aliased: reading them raises `CeleryNameRemoved`, naming the replacement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property, update_wrapper
from typing import TYPE_CHECKING, Any, Concatenate, Final, Literal, NoReturn, overload

from weft_compat import _registry
from weft_compat._config import current_settings
from weft_compat._context import BoundTask, TaskRequest
from weft_compat._options import (
    CallOptions,
    TaskConfig,
    build_call_options,
    build_task_config,
    check_call_option_names,
    check_decorator_option_names,
)
from weft_compat._signature import CallChecker
from weft_compat._taskspec import taskspec_template
from weft_compat._worker_config import WorkerConfig, task_config
from weft_compat.exceptions import CeleryNameRemoved

if TYPE_CHECKING:
    from weft_compat._deferred import WeftDeferredSubmission
    from weft_compat._submission import WeftSubmission

__all__ = ["WeftTask", "weft_task"]

# Celery name → (replacement, guide page). Canvas names have no replacement on Weft.
_RENAMED: Final[Mapping[str, tuple[str, str]]] = {
    "delay": ("enqueue(*args, **kwargs)", "calling.md#delay"),
    "apply_async": ("using(**options).enqueue(*args, **kwargs)", "calling.md#apply_async"),
    "AsyncResult": ("weft_compat.WeftSubmission.from_tid(tid)", "results.md"),
    "s": ("", "canvas.md"),
    "si": ("", "canvas.md"),
    "signature": ("", "canvas.md"),
    "map": ("", "canvas.md"),
    "starmap": ("", "canvas.md"),
    "chunks": ("", "canvas.md"),
    "delay_on_commit": ("enqueue_on_commit(*args, **kwargs)", "on-commit.md"),
    "apply_async_on_commit": (
        "using(**options).enqueue_on_commit(*args, **kwargs)",
        "on-commit.md",
    ),
}


class WeftTask[**P, R]:
    """A function registered as a Weft task under a name."""

    def __init__(
        self,
        func: Callable[..., R],
        *,
        name: str,
        config: TaskConfig,
        options: CallOptions,
    ) -> None:
        self.func = func
        self.name = name
        self.config = config
        self.options = options
        self._template: tuple[object, dict[str, Any], WorkerConfig] | None = None
        update_wrapper(self, func)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the function inline in this process, as calling a Celery task does."""
        request = TaskRequest(task_name=self.name, args=args, kwargs=kwargs, called_directly=True)
        return self.run(request, args, kwargs)

    def run(self, request: TaskRequest, args: Any, kwargs: Any) -> R:
        """Run the function for one call, passing `self` to bound tasks."""
        if self.config.bind:
            return self.func(BoundTask(self, request), *args, **kwargs)
        return self.func(*args, **kwargs)

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> WeftSubmission:
        """Submit one call to Weft and return its handle (Celery's `delay`)."""
        from weft_compat._submit import submit

        return submit(self, args, kwargs)

    def enqueue_on_commit(self, *args: P.args, **kwargs: P.kwargs) -> WeftDeferredSubmission:
        """Submit one call when the current database transaction commits.

        The call is validated and its arguments encoded now; a rollback submits nothing.
        Name the database with `.using(database="alias")`.
        """
        from weft_compat.django.transaction import enqueue_on_commit

        return enqueue_on_commit(self, args, kwargs)

    def using(self, **options: Any) -> WeftTask[P, R]:
        """Return a copy with per-call options changed; this task is not modified."""
        check_call_option_names(options)
        changed = self.options.merged(options, task_name=self.name)
        return WeftTask(self.func, name=self.name, config=self.config, options=changed)

    @property
    def taskspec_template(self) -> dict[str, Any]:
        """The Weft TaskSpec for this task's calls, built once per settings in force."""
        self._refresh()
        assert self._template is not None
        return self._template[1]

    @property
    def worker_config(self) -> WorkerConfig:
        """What a worker needs to load to run this task's calls from this process."""
        self._refresh()
        assert self._template is not None
        return self._template[2]

    def _refresh(self) -> None:
        settings = current_settings()
        if self._template is None or self._template[0] is not settings:
            config = task_config(self)
            template = taskspec_template(self.name, self.options, config)
            self._template = (settings, template, config)

    @cached_property
    def checker(self) -> CallChecker:
        """Validates calls against the function's signature."""
        return CallChecker(self.func, bound=self.config.bind, typing=self.config.typing)

    def __getattr__(self, attribute: str) -> NoReturn:
        renamed = _RENAMED.get(attribute)
        if renamed is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
        replacement, page = renamed
        if replacement:
            advice = f"use {self.name}.{replacement} instead"
        else:
            advice = "canvas primitives have no Weft equivalent; enqueue the next call explicitly"
        raise CeleryNameRemoved(
            f"WeftTask has no Celery {attribute!r}: {advice} (see migration_guide/{page})"
        )

    def __repr__(self) -> str:
        return f"<WeftTask {self.name}>"


def _default_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__name__}"


def _build(func: Callable[..., Any], options: Mapping[str, Any]) -> WeftTask[Any, Any]:
    check_decorator_option_names(options)
    name = options.get("name") or _default_name(func)
    if not isinstance(name, str):
        raise TypeError(f"name={name!r} must be a string such as 'app.tasks.send_email'")
    config_keys = set(TaskConfig.model_fields)
    config = build_task_config(
        {key: value for key, value in options.items() if key in config_keys}, task_name=name
    )
    call_options = build_call_options(
        {key: value for key, value in options.items() if key not in config_keys | {"name"}},
        task_name=name,
    )
    if config.bind and not CallChecker(func, bound=False, typing=None).signature.parameters:
        raise TypeError(f"bind=True needs a first parameter (self) on {name!r}")
    task: WeftTask[Any, Any] = WeftTask(func, name=name, config=config, options=call_options)
    _registry.register(task)
    return task


@overload
def weft_task[**P, R](func: Callable[P, R], /) -> WeftTask[P, R]: ...


@overload
def weft_task[**P, R](
    *, bind: Literal[True], **options: Any
) -> Callable[[Callable[Concatenate[Any, P], R]], WeftTask[P, R]]: ...


@overload
def weft_task[**P, R](
    *, bind: Literal[False] = ..., **options: Any
) -> Callable[[Callable[P, R]], WeftTask[P, R]]: ...


def weft_task(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Register a function as a Weft task; accepts `@shared_task`'s option names.

    Honoured: `name`, `bind`, `time_limit`, `soft_time_limit`, `ignore_result`,
    `typing`, `serializer="json"`, `queue`, `priority`, `lane`, `acks_late` and
    `reject_on_worker_lost` (False: no redelivery of a lost call), and Weft's `timeout`,
    `memory_mb`, `cpu_percent`, `metadata`. Accepted with no effect: `track_started`.
    Anything else raises `UnsupportedOption` naming the guide section
    (migration_guide/decorator.md).
    """
    if func is not None:
        if not callable(func):
            raise TypeError(
                f"@weft_task got {func!r}; use @weft_task or @weft_task(name={func!r}, ...)"
            )
        if options:
            raise TypeError("pass options as @weft_task(...) keywords, not with the function")
        return _build(func, {})
    check_decorator_option_names(options)

    def decorate(function: Callable[..., Any]) -> WeftTask[Any, Any]:
        return _build(function, options)

    return decorate
