"""A call's failure as data (`TaskError`), and the exception rebuilt from it.

A worker records an error as the exception's import path, message, arguments and
traceback text, the way `django.tasks` does. Celery's `AsyncResult.result` after a
failure is an exception instance rebuilt from such a record, so `WeftSubmission.info`
and `wait()` rebuild one the same way: the class is looked up among modules this
process has already imported (a record never makes a process import anything), and a
class that cannot be found, or is no exception class, becomes a stand-in exception
class of the same name.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Final

from weft_compat import _serialization

__all__ = ["TaskError", "exception_path"]

_stand_ins: dict[str, type[Exception]] = {}
_stand_ins_lock = threading.Lock()
_MAX_ARGS: Final = 8


def exception_path(exc: BaseException) -> str:
    """`module.QualName` of an exception's class, the way `django.tasks` records it."""
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass(frozen=True, slots=True)
class TaskError:
    """One failure of a call: the exception's import path, its message and traceback text.

    `args` holds the exception's arguments where JSON can carry them (the others as
    their `repr`), so the rebuilt exception has the arguments the task raised it with.
    """

    exception_class_path: str
    message: str
    traceback: str
    args: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def from_exception(cls, exc: BaseException, *, traceback: str = "") -> TaskError:
        """The record of `exc`."""
        return cls(exception_path(exc), str(exc), traceback, _portable(exc.args))

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready form for views."""
        return {
            "exception_class_path": self.exception_class_path,
            "message": self.message,
            "traceback": self.traceback,
        }

    def to_record(self) -> dict[str, Any]:
        """What a call record stores: `as_dict()` plus the arguments, when there are any."""
        body: dict[str, Any] = self.as_dict()
        if self.args:
            body["args"] = list(self.args)
        return body

    @classmethod
    def from_record(cls, body: dict[str, Any]) -> TaskError:
        """Rebuild from `to_record()`'s form (or `as_dict()`'s)."""
        return cls(
            exception_class_path=str(body.get("exception_class_path", "")),
            message=str(body.get("message", "")),
            traceback=str(body.get("traceback", "")),
            args=tuple(body.get("args") or ()),
        )

    @property
    def exception_class(self) -> type[BaseException]:
        """The exception class, if this process has imported it; else a stand-in class."""
        found = _imported_class(self.exception_class_path)
        if found is not None:
            return found
        return _stand_in(self.exception_class_path or "Exception")

    def rebuild(self) -> BaseException:
        """An exception instance like the one the task raised (Celery's `result`)."""
        cls = self.exception_class
        args = self.args or ((self.message,) if self.message else ())
        try:
            return cls(*args)
        except Exception:
            # A class whose constructor wants other arguments: keep its name and message.
            return _stand_in(self.exception_class_path or "Exception")(self.message)


def _portable(args: tuple[Any, ...]) -> tuple[Any, ...]:
    portable: list[Any] = []
    for value in args[:_MAX_ARGS]:
        try:
            _serialization.encode(value)
        except (TypeError, ValueError):
            value = repr(value)
        portable.append(value)
    return tuple(portable)


def _imported_class(path: str) -> type[BaseException] | None:
    parts = path.split(".") if path else []
    # A builtin has no module in its path; a class may be nested (`module.Outer.Inner`),
    # so each split is tried, longest module name first.
    candidates = [("builtins", parts)] if len(parts) == 1 else []
    candidates += [(".".join(parts[:cut]), parts[cut:]) for cut in range(len(parts) - 1, 0, -1)]
    for module_name, names in candidates:
        found: Any = sys.modules.get(module_name)
        for name in names:
            found = getattr(found, name, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
    return None


def _stand_in(path: str) -> type[Exception]:
    # One class per path, so `isinstance` checks agree across reads in one process.
    with _stand_ins_lock:
        cls = _stand_ins.get(path)
        if cls is None:
            module, _, name = path.rpartition(".")
            cls = type(name or "Exception", (Exception,), {"__module__": module or "builtins"})
            _stand_ins[path] = cls
        return cls
