"""`@weft_task` and `WeftTask`: a registered function that can be called or enqueued.

`WeftTask` replaces Celery's task object. Calling it runs the function inline, as in
Celery; `enqueue()` replaces `delay()`; `using(...)` returns a copy with per-call
options, the role of `apply_async(...)` keywords. Celery's names for these are not
aliased: reading them raises `CeleryNameRemoved`, naming the replacement.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cached_property, update_wrapper
from typing import TYPE_CHECKING, Any, Concatenate, Final, Literal, NoReturn, overload

from weft_compat import _registry
from weft_compat._config import current_settings
from weft_compat._context import TaskRequest
from weft_compat._option_names import (
    DECORATOR_OPTIONS,
    REFUSED_OPTIONS,
    check_call_option_names,
    check_decorator_option_names,
)
from weft_compat._options import (
    CallOptions,
    TaskConfig,
    build_call_options,
    build_task_config,
)
from weft_compat._progress import running
from weft_compat._signature import CallChecker
from weft_compat._submit import submit
from weft_compat._taskclass import WeftTaskBase, class_options, task_class_for
from weft_compat._taskspec import taskspec_template
from weft_compat._worker_config import WorkerConfig, task_config
from weft_compat.canvas._steps import Step
from weft_compat.exceptions import CeleryNameRemoved, UnsupportedOption

if TYPE_CHECKING:
    from weft_compat._deferred import WeftDeferredSubmission
    from weft_compat._submission import WeftSubmission

__all__ = ["WeftTask", "default_task_base", "register_task", "task_base", "weft_task"]

# Celery name → (replacement, guide page). Canvas names have no replacement on Weft.
_RENAMED: Final[Mapping[str, tuple[str, str]]] = {
    "delay": ("enqueue(*args, **kwargs)", "calling.md#delay"),
    "apply_async": ("using(**options).enqueue(*args, **kwargs)", "calling.md#apply_async"),
    "AsyncResult": ("weft_compat.WeftSubmission.from_tid(tid)", "results.md"),
    "s": ("step(*args, **kwargs)", "canvas.md"),
    "si": ("fixed_step(*args, **kwargs)", "canvas.md"),
    "signature": ("step(*args, **kwargs)", "canvas.md"),
    "subtask": ("step(*args, **kwargs)", "canvas.md"),
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
        task_class: type[WeftTaskBase] | None = None,
        instance: WeftTaskBase | None = None,
    ) -> None:
        self.func = func
        self.name = name
        self.config = config
        self.options = options
        self.task_class = task_class or task_class_for(WeftTaskBase, func, bind=config.bind)
        self._instance = instance
        self._template: tuple[object, dict[str, Any], WorkerConfig] | None = None
        update_wrapper(self, func)

    @property
    def instance(self) -> WeftTaskBase:
        """The task's instance in this process (one, as Celery's): a bound task's `self`."""
        if self._instance is None:
            self._instance = self.task_class()
        if self._instance._weft_task is None:
            self._instance._weft_task = self
        return self._instance

    @property
    def request(self) -> TaskRequest:
        """The running call's request, as `self.request` reads it (Celery's
        `task.request`, which signal receivers read from their `sender`)."""
        return self.instance.request

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the task inline in this process, as calling a Celery task does (no hooks)."""
        request = TaskRequest(task_name=self.name, args=args, kwargs=kwargs, called_directly=True)
        with running(request):
            return self.run(request, args, kwargs)

    def run(self, request: TaskRequest, args: Any, kwargs: Any) -> R:
        """Run the task's class's `__call__` (and so its `run`) for one call."""
        request.instance = self.instance
        result: R = self.instance(*args, **kwargs)
        return result

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> WeftSubmission:
        """Submit one call to Weft and return its handle (Celery's `delay`)."""
        return submit(self, args, kwargs)

    def enqueue_on_commit(self, *args: P.args, **kwargs: P.kwargs) -> WeftDeferredSubmission:
        """Submit one call when the current database transaction commits.

        The call is validated and its arguments encoded now; a rollback submits nothing.
        Name the database with `.using(database="alias")`.
        """
        from weft_compat.django.transaction import enqueue_on_commit

        return enqueue_on_commit(self, args, kwargs)

    def step(self, *args: Any, **kwargs: Any) -> Step:
        """A partial call for a workflow (Celery's `s`): it receives the previous step's
        result as its first argument, before `args`."""
        return Step(self, args, kwargs)

    def fixed_step(self, *args: Any, **kwargs: Any) -> Step:
        """A call for a workflow that takes no previous result (Celery's `si`)."""
        return Step(self, args, kwargs, immutable=True)

    def using(self, **options: Any) -> WeftTask[P, R]:
        """Return a copy with per-call options changed; this task is not modified."""
        check_call_option_names(options)
        changed = self.options.merged(options, task_name=self.name)
        return WeftTask(
            self.func,
            name=self.name,
            config=self.config,
            options=changed,
            task_class=self.task_class,
            instance=self.instance,  # One instance per task and process, as in Celery.
        )

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
            advice = (
                f"{attribute} has no workflow equivalent; enqueue a group(...) of "
                f"{self.name}.step(...) instead"
            )
        raise CeleryNameRemoved(
            f"WeftTask has no Celery {attribute!r}: {advice} (see migration_guide/{page})"
        )

    def __repr__(self) -> str:
        return f"<WeftTask {self.name}>"


def _default_name(target: Callable[..., Any]) -> str:
    return f"{target.__module__}.{target.__name__}"


def _build(
    target: Callable[..., Any] | type[WeftTaskBase] | WeftTaskBase,
    options: Mapping[str, Any],
) -> WeftTask[Any, Any]:
    check_decorator_option_names(options)
    keywords = dict(options)
    base = keywords.pop("base", None)
    instance = target if isinstance(target, WeftTaskBase) else None
    cls = _task_class_of(target)
    if cls is not None:
        # A class-based task: its own `run`, its attributes, its `name`.
        if base is not None:
            raise TypeError(f"base={base!r} is for function tasks; {cls.__qualname__} is a class")
        func: Callable[..., Any] = cls.run
        own = class_options(cls, DECORATOR_OPTIONS, REFUSED_OPTIONS)
        merged = {**own, **keywords, "bind": True}
        name = merged.get("name") or _class_name(cls) or _default_name(cls)
        task_class: type[WeftTaskBase] = cls
    else:
        assert callable(target)
        func = target
        base_class = task_base(base) if base is not None else default_task_base()
        merged = {**class_options(base_class, DECORATOR_OPTIONS, REFUSED_OPTIONS), **keywords}
        name = merged.get("name") or _default_name(func)
        task_class = task_class_for(base_class, func, bind=bool(merged.get("bind")))
    if not isinstance(name, str):
        raise TypeError(f"name={name!r} must be a string such as 'app.tasks.send_email'")
    config_keys = set(TaskConfig.model_fields)
    config = build_task_config(
        {key: value for key, value in merged.items() if key in config_keys}, task_name=name
    )
    call_options = build_call_options(
        {key: value for key, value in merged.items() if key not in config_keys | {"name"}},
        task_name=name,
    )
    if config.bind and not CallChecker(func, bound=False, typing=None).signature.parameters:
        raise TypeError(f"bind=True needs a first parameter (self) on {name!r}")
    task: WeftTask[Any, Any] = WeftTask(
        func,
        name=name,
        config=config,
        options=call_options,
        task_class=task_class,
        instance=instance,
    )
    _registry.register(task)
    return task


def _task_class_of(target: object) -> type[WeftTaskBase] | None:
    if isinstance(target, WeftTaskBase):
        return type(target)
    if isinstance(target, type) and issubclass(target, WeftTaskBase):
        return target
    return None


def _class_name(cls: type[WeftTaskBase]) -> str | None:
    # A `name` class attribute (not WeftTaskBase's own property) names the task.
    for klass in cls.__mro__:
        if klass is WeftTaskBase:
            return None
        value = vars(klass).get("name")
        if isinstance(value, str):
            return value
    return None


def task_base(value: Any) -> type[WeftTaskBase]:
    """Check a `base=` (or `TASK_CLASS`) value: a `WeftTaskBase` subclass."""
    if isinstance(value, type) and issubclass(value, WeftTaskBase):
        return value
    raise UnsupportedOption(
        f"base={value!r} is not a task class; subclass weft_compat.WeftTaskBase where the "
        "Celery code subclassed Task (see migration_guide/task-classes.md)"
    )


def default_task_base() -> type[WeftTaskBase]:
    """The `TASK_CLASS` setting's class (Celery's `task_cls`), else `WeftTaskBase`."""
    path = current_settings().TASK_CLASS
    if path is None:
        return WeftTaskBase
    module, _, attribute = path.replace(":", ".").rpartition(".")
    try:
        found = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UnsupportedOption(
            f"TASK_CLASS={path!r} cannot be imported ({exc}); name a WeftTaskBase subclass "
            "as 'package.module.ClassName'"
        ) from exc
    return task_base(found)


def register_task(task: type[WeftTaskBase] | WeftTaskBase, /, **options: Any) -> WeftTask[..., Any]:
    """Register a class-based task (a `WeftTaskBase` subclass with `run`), Celery's
    `app.register_task(MyTask())`; returns its `WeftTask`, to call or enqueue."""
    if not (
        isinstance(task, WeftTaskBase)
        or (isinstance(task, type) and issubclass(task, WeftTaskBase))
    ):
        raise TypeError(
            f"register_task({task!r}) takes a WeftTaskBase subclass (or an instance) that "
            "defines run(); decorate functions with @weft_task"
        )
    cls = task if isinstance(task, type) else type(task)
    if cls.run is WeftTaskBase.run:
        raise TypeError(f"{cls.__qualname__} defines no run(self, ...) to register as a task")
    return _build(task, options)


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
    `typing`, `serializer="json"`, `queue`, `priority`, `lane`, `base` (a task class),
    `result_expires`, `acks_late` and `reject_on_worker_lost` (False: no redelivery of
    a lost call), and Weft's `timeout`,
    `memory_mb`, `cpu_percent`, `metadata`. Accepted with no effect: `track_started`.
    Anything else raises `UnsupportedOption` naming the guide section
    (migration_guide/decorator.md).
    """
    if func is not None:
        if isinstance(func, type) and issubclass(func, WeftTaskBase):
            if options:
                raise TypeError("pass options as @weft_task(...) keywords, not with the class")
            return register_task(func)
        if not callable(func):
            raise TypeError(
                f"@weft_task got {func!r}; use @weft_task or @weft_task(name={func!r}, ...)"
            )
        if options:
            raise TypeError("pass options as @weft_task(...) keywords, not with the function")
        return _build(func, {})
    check_decorator_option_names(options)

    def decorate(function: Callable[..., Any]) -> WeftTask[Any, Any]:
        if isinstance(function, type) and issubclass(function, WeftTaskBase):
            return register_task(function, **options)
        return _build(function, options)

    return decorate
