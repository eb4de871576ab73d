"""WC103: ``task.delay(...)`` on a known task becomes ``task.enqueue(...)``.

Only receivers the project index knows as tasks are rewritten; the rest, and
``.delay`` calls passing Celery option names the task cannot take, are left to
``delay_unresolved`` (WC201).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.facts import TaskSignature
from weft_compat.codemod.rules._shared import CELERY_CALL_NAMES, keyword_name, method_call
from weft_compat.codemod.rules.base import Rule

CODE = "WC103"
DESCRIPTION = ".delay(...) on a known task → .enqueue(...)"


def misplaced_options(call: cst.Call, task: TaskSignature) -> list[cst.Arg]:
    """Keyword arguments named like Celery call options that the task cannot take.

    ``.delay`` passes every keyword to the task, so ``send.delay(pk, countdown=60)``
    never delayed anything under Celery: it is a bug a rewrite must not bury.
    """
    return [
        arg
        for arg in call.args
        if (name := keyword_name(arg)) in CELERY_CALL_NAMES
        and name is not None
        and not task.accepts_keyword(name)
    ]


def dispatched_task(
    context: FileContext, call: cst.Call, methods: frozenset[str]
) -> TaskSignature | None:
    """The task ``receiver.<method>(...)`` dispatches, for one of ``methods``."""
    method = method_call(call)
    if method is None or method[1] not in methods:
        return None
    return context.task(method[0])


class Delay(Rule):
    """Rewrites ``.delay`` on known tasks."""

    NAME = "delay"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc103-delay"

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        task = dispatched_task(self.context, original_node, frozenset({"delay"}))
        if task is None or misplaced_options(original_node, task):
            return updated_node
        func = updated_node.func
        assert isinstance(func, cst.Attribute)  # dispatched_task matched an attribute call
        return updated_node.with_changes(func=func.with_changes(attr=cst.Name("enqueue")))
