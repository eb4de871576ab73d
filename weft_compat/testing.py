"""Test modes that replace `CELERY_TASK_ALWAYS_EAGER`.

- `immediate()`: each enqueue runs the task inline, after the same validation and JSON
  round trip a real submission gets, and returns a handle with the usual API
  (`state == "SUCCESS"`, `return_value`, `errors`). `propagate=True` re-raises the
  task's exception in the caller, like `CELERY_TASK_EAGER_PROPAGATES`.
- `recording()`: each enqueue is recorded and nothing runs; the recorder's
  `submissions` list what was enqueued.

Both are context managers, decorators (of test functions and of `unittest.TestCase`
classes, as `override_settings` is), pytest fixtures (`weft_immediate`,
`weft_recording`) and, in Django, the setting
`WEFT_COMPAT = {"TEST_MODE": "immediate" | "recording"}`. The innermost active mode wins.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import unittest
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from weft_compat import _serialization, _testmode
from weft_compat._execute import run_call
from weft_compat._submission import WeftSubmission, local_outcomes, local_tid

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["ImmediateMode", "ModeScope", "RecordedCall", "Recorder", "immediate", "recording"]


class ImmediateMode:
    """Runs every enqueued call inline; see `immediate()`."""

    # As Celery's eager mode: the task signals are sent, the publish signals are not.
    publishes: ClassVar[bool] = False

    def __init__(self, *, propagate: bool = False) -> None:
        self.propagate = propagate

    def handle(self, prepared: PreparedCall) -> WeftSubmission:
        """Run the call now, as a worker would, and return its handle."""
        tid = local_tid()
        envelope = prepared.envelope
        result = run_call(envelope, request_id=tid, eager=True)
        # A retry runs again at once, without its delay, until it ends.
        while result.retry is not None:
            plan = result.retry
            call = _serialization.encode_call(envelope.task, plan.args, plan.kwargs)
            envelope = dataclasses.replace(envelope, call=call, attempt=envelope.attempt + 1)
            result = run_call(envelope, request_id=tid, eager=True)
        local_outcomes[tid] = result.outcome
        if self.propagate and result.exception is not None:
            raise result.exception
        return WeftSubmission(tid, prepared.task.name)


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One enqueued call captured by `recording()`."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    options: dict[str, Any]
    tid: str


# Compared by identity: the mode stack removes the very recorder a scope pushed, even
# when another one has recorded the same calls.
@dataclass(eq=False)
class Recorder:
    """Records enqueued calls instead of running them; see `recording()`."""

    submissions: list[RecordedCall] = field(default_factory=list)
    # A recorded call stands for a queued one: the publish signals go around it.
    publishes: ClassVar[bool] = True

    def handle(self, prepared: PreparedCall) -> WeftSubmission:
        """Record the call and return a handle that stays PENDING."""
        tid = local_tid()
        local_outcomes[tid] = None
        options = prepared.options.model_dump(exclude_defaults=True)
        # What a worker would receive: the encoded snapshot, not the caller's live objects.
        call = _serialization.decode(prepared.envelope.call)
        self.submissions.append(
            RecordedCall(prepared.task.name, tuple(call["args"]), call["kwargs"], options, tid)
        )
        return WeftSubmission(tid, prepared.task.name)

    def names(self) -> list[str]:
        """The task names of the recorded calls, in order."""
        return [call.name for call in self.submissions]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.submissions.clear()


Target = TypeVar("Target", bound=Callable[..., Any])
# Attributes of a decorated TestCase class: the scope its tests run in (looked up on the
# class being set up, so a decorated subclass's mode wins), and whether it is active.
_CLASS_SCOPE = "_weft_compat_test_mode"
_ACTIVE = "_weft_compat_test_mode_active"
_WRAPS_SET_UP_CLASS = "_weft_compat_wraps_set_up_class"


class ModeScope[M: ImmediateMode | Recorder]:
    """Where a test mode applies: a `with` block, a decorated function or a TestCase class.

    Each entry activates a fresh mode (a new `Recorder` for `recording()`), so a decorated
    test never sees another test's calls.
    """

    def __init__(self, factory: Callable[[], M]) -> None:
        self.factory: Callable[[], M] = factory
        self._entered: list[M] = []

    def __enter__(self) -> M:
        mode = self.factory()
        _testmode.push(mode)
        self._entered.append(mode)
        return mode

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _testmode.pop(self._entered.pop())

    def __call__(self, target: Target) -> Target:
        """Decorate a test function (sync or async) or a `unittest.TestCase` class."""
        if isinstance(target, type):
            return cast(Target, _decorate_class(target, self))
        factory = self.factory
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with ModeScope(factory):
                    return await target(*args, **kwargs)

            return cast(Target, run_async)

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with ModeScope(factory):
                return target(*args, **kwargs)

        return cast(Target, run)


def _decorate_class(cls: type, scope: ModeScope[Any]) -> type:
    """Activate the mode from `setUpClass` until the class's cleanups run, so it also
    covers `setUpClass` and `setUpTestData`, as `override_settings` does."""
    if not issubclass(cls, unittest.TestCase):
        raise TypeError(
            f"{cls.__name__!r} is not a unittest.TestCase subclass; decorate its test "
            "methods instead, or use the weft_immediate / weft_recording fixture"
        )
    setattr(cls, _CLASS_SCOPE, scope)
    if getattr(cls.setUpClass, _WRAPS_SET_UP_CLASS, False) and "setUpClass" not in vars(cls):
        return cls  # the inherited wrapper reads this class's scope
    original = cls.setUpClass.__func__  # type: ignore[attr-defined]

    def set_up_class(inner: type[unittest.TestCase]) -> None:
        _activate(inner)
        original(inner)

    setattr(set_up_class, _WRAPS_SET_UP_CLASS, True)
    cls.setUpClass = classmethod(set_up_class)  # type: ignore[assignment]
    return cls


def _activate(cls: type[unittest.TestCase]) -> None:
    """Push the mode of ``cls`` once per class set-up; the class cleanups pop it."""
    if vars(cls).get(_ACTIVE):
        return  # a subclass's own setUpClass reached an inherited wrapper through super()
    mode = getattr(cls, _CLASS_SCOPE).factory()
    _testmode.push(mode)
    setattr(cls, _ACTIVE, True)
    cls.addClassCleanup(_deactivate, cls, mode)


def _deactivate(cls: type[unittest.TestCase], mode: _testmode.Mode) -> None:
    _testmode.pop(mode)
    setattr(cls, _ACTIVE, False)


def immediate(*, propagate: bool = False) -> ModeScope[ImmediateMode]:
    """Run enqueued calls inline: in a `with` block, a decorated test or TestCase class."""
    return ModeScope(lambda: ImmediateMode(propagate=propagate))


def recording() -> ModeScope[Recorder]:
    """Record enqueued calls, running nothing: in a `with` block (which gives the recorder),
    a decorated test or TestCase class."""
    return ModeScope(Recorder)


_testmode.name_setting_modes({"immediate": ImmediateMode, "recording": Recorder})
