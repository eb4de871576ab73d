"""WC104: ``task.apply_async(args, kwargs, **options)`` → ``task[.using(...)].enqueue(...)``.

Rewritten only when every option is one ``.using(...)`` accepts (``countdown``, ``eta``
and ``expires`` among them); otherwise the call is left whole and ``call_options``
(WC203) names the options in the way, such as ``max_retries`` or ``link``. ``args`` and
``kwargs`` literals are spread into the call; other expressions are unpacked.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import (
    CALL_OPTIONS,
    keyword_arg,
    keyword_name,
    method_call,
    string_value,
)
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.delay import dispatched_task

CODE = "WC104"
DESCRIPTION = ".apply_async(args, kwargs, **options) → .using(**options).enqueue(*args, **kwargs)"
_APPLY_ASYNC = frozenset({"apply_async"})
_NONE = "None"
# Celery's publish timeout (how long to wait for the broker), not a time limit on the
# task: ``.using(timeout=...)`` would kill the task, so the option is dropped.
PUBLISH_TIMEOUT = "timeout"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == _NONE


def spread_args(value: cst.BaseExpression) -> list[cst.Arg]:
    """Positional arguments for ``enqueue`` from apply_async's ``args``."""
    if _is_none(value):
        return []
    if isinstance(value, cst.Tuple | cst.List):
        spread = []
        for element in value.elements:
            if isinstance(element, cst.StarredElement):
                spread.append(cst.Arg(value=element.value, star="*"))
            else:
                spread.append(cst.Arg(value=element.value))
        return spread
    return [cst.Arg(value=value, star="*")]


def spread_kwargs(value: cst.BaseExpression) -> list[cst.Arg]:
    """Keyword arguments for ``enqueue`` from apply_async's ``kwargs``."""
    if _is_none(value):
        return []
    if isinstance(value, cst.Dict):
        spread = []
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                spread.append(cst.Arg(value=element.value, star="**"))
                continue
            key = string_value(element.key)
            if key is None or not key.isidentifier():
                return [cst.Arg(value=value, star="**")]
            spread.append(keyword_arg(key, element.value))
        return spread
    return [cst.Arg(value=value, star="**")]


def using_options(args: Sequence[cst.Arg], slots: Sequence[str]) -> list[cst.Arg] | None:
    """The keyword arguments outside ``slots``, for ``.using(...)``; None if one cannot go.

    ``countdown``, ``eta`` and ``expires`` carry over like the rest: ``.using(...)``
    takes them with Celery's meaning, and refuses a naive ``eta`` when the call runs.
    """
    options: list[cst.Arg] = []
    for arg in args:
        name = keyword_name(arg)
        if name is None or name in slots:
            continue
        if name == "serializer" and string_value(arg.value) == "json":
            continue  # the only serializer weft_compat has
        if name == PUBLISH_TIMEOUT:
            continue  # reported by call_options (WC203)
        if name not in CALL_OPTIONS:
            return None
        options.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return options


def split_call(args: Sequence[cst.Arg]) -> tuple[list[cst.Arg], list[cst.Arg]] | None:
    """``(call arguments, options)`` of an apply_async-style call, None if unusual."""
    positional = [arg for arg in args if arg.keyword is None and not arg.star]
    if len(positional) > 2 or any(arg.star for arg in args):
        return None
    options = using_options(args, ("args", "kwargs"))
    if options is None:
        return None
    call_args: list[cst.Arg] = []
    named = {"args": None, "kwargs": None} | {
        keyword_name(arg): arg.value for arg in args if keyword_name(arg) in ("args", "kwargs")
    }
    for slot, arg in zip(("args", "kwargs"), positional, strict=False):
        named[slot] = arg.value
    if named["args"] is not None:
        call_args += spread_args(named["args"])
    if named["kwargs"] is not None:
        call_args += spread_kwargs(named["kwargs"])
    return call_args, options


SIGNATURES = frozenset({"s", "si", "signature", "subtask"})
_SIGNATURE_DISPATCH = frozenset({"apply_async", "delay"})


def signature_call(
    context: FileContext, call: cst.Call
) -> tuple[list[cst.Arg], list[cst.Arg]] | None:
    """``(call arguments, options)`` for ``task.s(...).apply_async(...)`` (or ``.si``,
    ``.signature(args, kwargs)``, ``.delay()``) on a known task, when it is the same as
    one enqueue: the dispatch adds no arguments of its own (Celery would prepend them)."""
    method = method_call(call)
    if method is None or method[1] not in _SIGNATURE_DISPATCH:
        return None
    inner = method[0]
    if not isinstance(inner, cst.Call):
        return None
    built = method_call(inner)
    if built is None or built[1] not in SIGNATURES or context.task(built[0]) is None:
        return None
    if any(arg.star for arg in (*inner.args, *call.args)):
        return None
    if built[1] in ("s", "si"):
        call_args = [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in inner.args]
        signature_options: list[cst.Arg] = []
    else:
        split = split_call(inner.args)
        if split is None:
            return None
        call_args, signature_options = split
    if method[1] == "delay":
        return (call_args, signature_options) if not call.args else None
    if any(keyword_name(arg) in ("args", "kwargs") or arg.keyword is None for arg in call.args):
        return None
    options = using_options(call.args, ())
    if options is None:
        return None
    named = {keyword_name(arg) for arg in options}
    merged = [arg for arg in signature_options if keyword_name(arg) not in named] + options
    return call_args, merged


class ApplyAsync(Rule):
    """Rewrites ``apply_async`` on known tasks when its options carry over."""

    NAME = "apply_async"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc104-apply_async"

    def visit_Call(self, node: cst.Call) -> None:
        if signature_call(self.context, node) is not None:
            # The signature is no canvas once it is one enqueue (canvas, WC205, and
            # delay_unresolved, WC201, leave it).
            self.context.claim(node.func)
            self.context.claim(cst.ensure_type(node.func, cst.Attribute).value)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if signature_call(self.context, original_node) is not None:
            return self._signature(updated_node)
        if dispatched_task(self.context, original_node, _APPLY_ASYNC) is None:
            return updated_node
        split = split_call(updated_node.args)
        if split is None:
            return updated_node
        call_args, options = split
        func = updated_node.func
        assert isinstance(func, cst.Attribute)  # dispatched_task matched an attribute call
        receiver = func.value
        if options:
            receiver = cst.Call(func=cst.Attribute(receiver, cst.Name("using")), args=options)
        return cst.Call(func=cst.Attribute(receiver, cst.Name("enqueue")), args=call_args)

    def _signature(self, call: cst.Call) -> cst.BaseExpression:
        planned = signature_call(self.context, call)
        if planned is None:
            return call  # a rewrite inside changed its shape: leave it whole
        call_args, options = planned
        inner = cst.ensure_type(cst.ensure_type(call.func, cst.Attribute).value, cst.Call)
        receiver = cst.ensure_type(inner.func, cst.Attribute).value
        if options:
            receiver = cst.Call(func=cst.Attribute(receiver, cst.Name("using")), args=options)
        return cst.Call(func=cst.Attribute(receiver, cst.Name("enqueue")), args=call_args)
