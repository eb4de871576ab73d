"""WC106: ``transaction.on_commit(lambda: task.delay(x))`` → ``task.enqueue_on_commit(x)``.

Also ``on_commit(partial(task.delay, x))`` and ``on_commit(task.delay)``. A ``using=``
database alias moves to ``task.using(database=...)``. ``enqueue_on_commit`` checks
and snapshots the arguments now, so a bad argument fails in the view, not after
commit. Other shapes keep their ``on_commit`` and have the ``.delay`` inside
rewritten by ``delay`` (WC103), which is already correct.

A task whose ``.delay`` a test patches is rewritten the same way: the patch becomes a
patch of ``.enqueue`` (``patch_targets``, WC110), and ``enqueue_on_commit`` calls the
task's (patched) ``enqueue`` at commit, as Celery's ``delay_on_commit`` called ``delay``.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import (
    head_name,
    keyword_arg,
    keyword_name,
    method_call,
)
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.delay import misplaced_options

CODE = "WC106"
DESCRIPTION = "transaction.on_commit(lambda: t.delay(x)) → t.enqueue_on_commit(x)"
ON_COMMIT = frozenset({"django.db.transaction.on_commit"})
PARTIAL = "functools.partial"
_DISPATCH = frozenset({"delay", "enqueue"})


def _arguments(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    return [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in args]


class OnCommit(Rule):
    """Rewrites dispatch-on-commit callbacks to ``enqueue_on_commit``."""

    NAME = "on_commit"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "on-commit.md#wc106-on_commit"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._plans: set[int] = set()

    def _callback(self, call: cst.Call) -> cst.BaseExpression | None:
        callback = None
        for arg in call.args:
            name = keyword_name(arg)
            if arg.star or name not in (None, "func", "using"):
                return None  # ``robust=`` and friends have no enqueue_on_commit spelling
            if name in (None, "func"):
                callback = arg.value
        return callback

    def _dispatch_attribute(self, node: cst.BaseExpression) -> cst.Attribute | None:
        if not isinstance(node, cst.Attribute) or node.attr.value != "delay":
            return None
        return node if self.context.task(node.value) is not None else None

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.qualified_name(node.func) not in ON_COMMIT:
            return
        callback = self._callback(node)
        if isinstance(callback, cst.Lambda) and not callback.params.params:
            body = callback.body
            if isinstance(body, cst.Call) and self._dispatch_attribute(body.func) is not None:
                receiver = body.func.value  # type: ignore[attr-defined]
                task = self.context.task(receiver)
                if task is not None and not misplaced_options(body, task):
                    self._plans.add(id(node))
            return
        if isinstance(callback, cst.Call):
            if self.context.qualified_name(callback.func) != PARTIAL or not callback.args:
                return
            callback = callback.args[0].value
        attribute = self._dispatch_attribute(callback) if callback is not None else None
        if attribute is not None:
            self.context.claim(attribute)
            self._plans.add(id(node))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node) not in self._plans:
            return updated_node
        receiver, args = self._target(updated_node)
        for arg in updated_node.args:
            if keyword_name(arg) == "using":
                database = keyword_arg("database", arg.value)
                receiver = cst.Call(cst.Attribute(receiver, cst.Name("using")), [database])
        for name in self._rewritten_names(original_node):
            self.drop_import(name)
        return cst.Call(cst.Attribute(receiver, cst.Name("enqueue_on_commit")), args)

    def _rewritten_names(self, call: cst.Call) -> list[str]:
        names = [head_name(call.func)]
        callback = next(arg.value for arg in call.args if keyword_name(arg) in (None, "func"))
        if isinstance(callback, cst.Call):
            names.append(head_name(callback.func))
        return [name for name in names if name]

    def _target(self, call: cst.Call) -> tuple[cst.BaseExpression, list[cst.Arg]]:
        callback = next(arg.value for arg in call.args if keyword_name(arg) in (None, "func"))
        if isinstance(callback, cst.Lambda):
            assert isinstance(callback.body, cst.Call)  # checked in visit_Call
            method = method_call(callback.body)
            assert method is not None
            assert method[1] in _DISPATCH
            return method[0], _arguments(callback.body.args)
        if isinstance(callback, cst.Call):  # partial(task.delay, ...)
            head, *rest = callback.args
            assert isinstance(head.value, cst.Attribute)
            return head.value.value, _arguments(rest)
        assert isinstance(callback, cst.Attribute)
        return callback.value, []
