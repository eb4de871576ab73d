"""WC107: ``AsyncResult(tid)`` → ``WeftSubmission.from_tid(tid)``, and handle reads mapped.

Covers ``AsyncResult(x)``, ``app.AsyncResult(x)``, ``task.AsyncResult(x)`` and
``app.control.revoke(x, terminate=True)``. On a handle (a name bound to one of those,
or to ``task.delay(...)``), reads with the same meaning are renamed: ``.id`` and
``.task_id`` → ``.tid``, ``.status`` → ``.state``, ``.result`` → ``.info`` (the return
value, the exception instance after a failure, or a custom state's meta, as Celery's
``.result`` is), ``.get(timeout=..., propagate=...)`` → ``.wait(...)`` (which blocks,
returns the return value and re-raises the task's exception, as ``.get()`` does),
``.revoke()`` → ``.stop()`` (``.kill()`` for SIGKILL). ``.get()`` with other arguments
(``interval=``, ``disable_sync_subtasks=``, …) and reads without an equivalent are left
to ``result_reads`` (WC204).
"""

from __future__ import annotations

import re

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._handles import ASYNC_RESULT_CLASSES, HandleTracking
from weft_compat.codemod.rules._shared import head_name, keyword_name, method_call, string_value
from weft_compat.codemod.shapes import IGNORED_CONSTRUCTOR_KEYWORDS, tid_position

CODE = "WC107"
DESCRIPTION = "AsyncResult(x) → WeftSubmission.from_tid(x); .id/.status/.result/.get/.revoke mapped"
# ``.get()`` / ``.wait()`` keywords that keep their meaning on ``WeftSubmission.wait``.
WAIT_KEYWORDS = ("timeout", "propagate")
RENAMED_READS = {"id": "tid", "task_id": "tid", "status": "state", "result": "info"}
# Arguments of ``app.control.revoke`` that hold several task ids.
MANY_IDS = (cst.List, cst.Tuple, cst.Set, cst.ListComp, cst.SetComp, cst.GeneratorExp)
_KILL_SIGNALS = frozenset({"SIGKILL", "KILL", "9", "signal.SIGKILL"})


def wait_args(call: cst.Call) -> list[cst.Arg] | None:
    """The arguments of ``.wait(...)`` for a handle's ``.get(...)`` / ``.wait(...)`` call,
    None when one has no counterpart: ``wait(timeout=None, *, propagate=True)``."""
    args: list[cst.Arg] = []
    for position, arg in enumerate(call.args):
        name = keyword_name(arg)
        if arg.star or (name is not None and name not in WAIT_KEYWORDS) or position > 1:
            return None
        if name is None and position == 1:  # Celery's second parameter
            arg = arg.with_changes(keyword=cst.Name("propagate"), equal=_TIGHT)
        args.append(arg)
    return args


_TIGHT = cst.AssignEqual(
    whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
)


def stop_method(call: cst.Call) -> str | None:
    """``stop`` or ``kill`` for a revoke call's keywords, None if they do not map."""
    terminate = signal = None
    for arg in call.args:
        name = keyword_name(arg)
        if name == "terminate":
            terminate = arg.value
        elif name == "signal":
            signal = arg.value
        else:
            return None  # positional arguments, ``wait=``, ``timeout=``: no equivalent
    if signal is None:
        return "stop"
    text = string_value(signal)
    if text is None and isinstance(signal, cst.Attribute | cst.Name | cst.Integer):
        text = cst.Module([]).code_for_node(signal)
    if terminate is not None and text in _KILL_SIGNALS:
        return "kill"
    return "stop" if text in ("SIGTERM", "TERM", "15", "signal.SIGTERM") else None


class AsyncResultRule(HandleTracking):
    """Rewrites result handles and their reads that keep their meaning."""

    NAME = "async_result"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "results.md#wc107-async_result"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._called: set[int] = set()
        # Calls whose value is thrown away (an expression statement's).
        self._statements: set[int] = set()

    def visit_Expr(self, node: cst.Expr) -> None:
        self._statements.add(id(node.value))

    def constructor_tid(self, call: cst.Call) -> cst.BaseExpression | None:
        """The task id argument when ``call`` builds an AsyncResult we can replace."""
        func = call.func
        if self.context.qualified_name(func) not in ASYNC_RESULT_CLASSES:
            method = method_call(call)
            if method is None or method[1] != "AsyncResult":
                return None
            receiver = method[0]
            if not (self.context.is_app(receiver) or self.context.task(receiver) is not None):
                return None
        position = tid_position([(keyword_name(arg), bool(arg.star)) for arg in call.args])
        return None if position is None else call.args[position].value

    def visit_Call(self, node: cst.Call) -> None:
        self._called.add(id(node.func))
        if self._control_revoke_plan(node) is not None:
            self.context.claim(node)  # celery_app (WC207) reports the others
        method = method_call(node)
        if (
            method is not None
            and method[1] in ("get", "wait")
            and self.is_handle(method[0])
            and wait_args(node) is not None
        ):
            self.context.claim(node.func)  # result_reads reports the others

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if self.constructor_tid(original_node) is not None:
            return self._from_tid(original_node, updated_node)
        method = method_call(original_node)
        waits = method is not None and method[1] in ("get", "wait")
        if waits and self.context.is_claimed(original_node.func):
            return self._wait(updated_node)
        if method is None or method[1] != "revoke":
            return updated_node
        receiver = method[0]
        if self.is_handle(receiver):
            stop = stop_method(original_node)
            if stop is None:
                return updated_node
            func = updated_node.func
            assert isinstance(func, cst.Attribute)
            return cst.Call(func.with_changes(attr=cst.Name(stop)))
        return self._control_revoke(original_node, updated_node, receiver)

    def _wait(self, call: cst.Call) -> cst.Call:
        args = wait_args(call)
        func = call.func
        # Both hold for a call visit_Call claimed.
        assert args is not None
        assert isinstance(func, cst.Attribute)
        return call.with_changes(func=func.with_changes(attr=cst.Name("wait")), args=args)

    def _from_tid(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        tid = self.constructor_tid(updated)
        if tid is None:
            return updated
        # Every mention that disappears: the callee, and dropped keywords (``app=app``).
        removed: list[cst.CSTNode] = [original.func]
        removed += [a for a in original.args if keyword_name(a) in IGNORED_CONSTRUCTOR_KEYWORDS]
        candidates = {head_name(node.value) for node in removed if isinstance(node, cst.Arg)}
        candidates.add(head_name(original.func))
        text = " ".join(cst.Module([]).code_for_node(node) for node in removed)
        for local in filter(None, candidates):
            self.drop_import(local, len(re.findall(rf"\b{re.escape(local)}\b", text)))
        self.add_import("weft_compat", "WeftSubmission")
        from_tid = cst.Attribute(cst.Name("WeftSubmission"), cst.Name("from_tid"))
        return cst.Call(from_tid, [cst.Arg(tid)])

    def _control_revoke_plan(
        self, call: cst.Call, *, statement: bool | None = None
    ) -> tuple[cst.BaseExpression, str] | None:
        """For ``app.control.revoke(tid, ...)`` that can be rewritten: the ids and the
        handle method (``stop``/``kill``)."""
        method = method_call(call)
        if method is None or method[1] != "revoke":
            return None
        receiver = method[0]
        if not (
            isinstance(receiver, cst.Attribute)
            and receiver.attr.value == "control"
            and self.context.is_app(receiver.value)
        ):
            return None
        positional = [arg for arg in call.args if arg.keyword is None]
        if len(positional) != 1 or positional[0].star:
            return None
        stop = stop_method(call.with_changes(args=[a for a in call.args if a.keyword]))
        if stop is None:
            return None
        ids = positional[0].value
        if statement is None:
            statement = id(call) in self._statements
        if isinstance(ids, MANY_IDS) and not statement:
            return None  # its value is used, and would become a list
        return ids, stop

    def _control_revoke(
        self, original: cst.Call, updated: cst.Call, receiver: cst.BaseExpression
    ) -> cst.BaseExpression:
        """``app.control.revoke(tid, ...)`` → ``WeftSubmission.from_tid(tid).stop()``; with
        several ids, a list of the stops, where the call's value was not used."""
        if self._control_revoke_plan(original) is None:
            return updated
        planned = self._control_revoke_plan(updated, statement=True)
        assert planned is not None  # the same arguments, rewritten inside
        ids, stop = planned
        local = head_name(receiver)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat", "WeftSubmission")
        from_tid = cst.Attribute(cst.Name("WeftSubmission"), cst.Name("from_tid"))
        if not isinstance(ids, MANY_IDS):
            handle = cst.Call(from_tid, [cst.Arg(ids)])
            return cst.Call(cst.Attribute(handle, cst.Name(stop)))
        # ``revoke([a, b])`` stops each: one handle per id, in an expression, so the
        # rewrite fits where the call stood.
        each = cst.Call(
            cst.Attribute(cst.Call(from_tid, [cst.Arg(cst.Name("tid"))]), cst.Name(stop))
        )
        loop = cst.CompFor(target=cst.Name("tid"), iter=ids)
        return cst.ListComp(elt=each, for_in=loop)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        new_name = RENAMED_READS.get(original_node.attr.value)
        if new_name is None or id(original_node) in self._called:
            return updated_node  # a called ``.result(...)`` is already WeftSubmission's
        if not self.is_handle(original_node.value):
            return updated_node
        return updated_node.with_changes(attr=cst.Name(new_name))
