"""Checking a call against the task function's signature, before anything is submitted.

Celery's default (`typing=True` on the app) checks that the arguments bind to the
signature; weft_compat does the same by default, and with `typing=True` on the task it
also validates annotated parameters with pydantic (strictly, so the worker receives
exactly the types the function declares).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter, ValidationError

from weft_compat._serialization import describe
from weft_compat.exceptions import InvalidCallArguments

__all__ = ["CallChecker"]


class CallChecker:
    """Validates calls of one function; built once per task."""

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        bound: bool,
        typing: bool | None,
    ) -> None:
        self._func = func
        self._bound = bound
        # Celery's `typing`: None/True bind the arguments, False checks nothing; True
        # additionally validates annotated values.
        self._bind_arguments = typing is not False
        self._validate_types = typing is True

    @cached_property
    def signature(self) -> inspect.Signature:
        """The signature callers use (without `self` for bound tasks)."""
        try:
            signature = inspect.signature(self._func, eval_str=True)
        except (NameError, TypeError, SyntaxError):
            # Annotations that name things importable only under TYPE_CHECKING stay text.
            signature = inspect.signature(self._func)
        if self._bound:
            parameters = list(signature.parameters.values())[1:]
            signature = signature.replace(parameters=parameters)
        return signature

    @cached_property
    def _adapters(self) -> dict[str, TypeAdapter[Any]]:
        empty = inspect.Parameter.empty
        return {
            name: TypeAdapter(parameter.annotation)
            for name, parameter in self.signature.parameters.items()
            if parameter.annotation is not empty and not isinstance(parameter.annotation, str)
        }

    def check(
        self, task_name: str, args: Sequence[Any], kwargs: Mapping[str, Any], *, leading: int = 0
    ) -> None:
        """Raise `InvalidCallArguments` if the call does not fit the function.

        `leading`: how many values the call receives later, before `args` (a workflow
        step's previous result); they take part in binding, not in type validation.
        """
        if not self._bind_arguments:
            return
        try:
            bound = self.signature.bind(*([_LATER] * leading), *args, **kwargs)
        except TypeError as exc:
            raise InvalidCallArguments(
                f"{task_name}{self.signature} cannot take the arguments "
                f"{_describe(args, kwargs)}: {exc}"
            ) from exc
        if not self._validate_types:
            return
        for name, value in bound.arguments.items():
            adapter = self._adapters.get(name)
            if adapter is None or value is _LATER:
                continue
            kind = self.signature.parameters[name].kind
            values = [item for item in _spread(kind, value) if item is not _LATER]
            try:
                for item in values:
                    adapter.validate_python(item, strict=True)
            except ValidationError as exc:
                first = exc.errors()[0]
                raise InvalidCallArguments(
                    f"argument {name!r} of {task_name!r} is {describe(value)}, but the signature "
                    f"declares {_type_name(self.signature.parameters[name].annotation)}: "
                    f"{first['msg']}"
                ) from None


_LATER: Any = object()  # A value a workflow step receives when it starts.


def _spread(kind: inspect._ParameterKind, value: Any) -> list[Any]:
    if kind is inspect.Parameter.VAR_POSITIONAL:
        return list(value)
    if kind is inspect.Parameter.VAR_KEYWORD:
        return list(value.values())
    return [value]


def _describe(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [describe(arg) for arg in args]
    parts += [f"{key}={describe(value)}" for key, value in kwargs.items()]
    return f"({', '.join(parts)})"[:200]


def _type_name(annotation: Any) -> str:
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)
