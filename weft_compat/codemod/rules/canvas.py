"""WC205: canvas (chain, group, chord, signatures, .s/.si/.map/.starmap/.chunks, replace).

Weft has no workflow primitives, so nothing here is rewritten. The guide shows the
usual hand rewrites: enqueue the next task at the end of the previous one, or loop
and enqueue for a group.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import method_call, task_decorator
from weft_compat.codemod.rules.base import Rule

CODE = "WC205"
DESCRIPTION = "canvas: chain/group/chord/signature, .s/.si/.map/.starmap/.chunks, self.replace"
PRIMITIVES = frozenset(
    {
        "celery.chain",
        "celery.group",
        "celery.chord",
        "celery.chunks",
        "celery.signature",
        "celery.Signature",
        "celery.maybe_signature",
        "celery.xmap",
        "celery.xstarmap",
        "celery.result.GroupResult",
        "celery.result.ResultSet",
    }
)
# Receivers that are never a task.
LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float)
SIGNATURE_METHODS = frozenset({"s", "si", "signature", "subtask", "map", "starmap", "chunks"})


class Canvas(Rule):
    """Flags canvas constructs."""

    NAME = "canvas"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "canvas.md#wc205-canvas"
    WHY = (
        "Weft has no chains, groups, chords or signatures, so a canvas construct has no "
        "rewrite with the same meaning."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._bound_task_depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if any(task_decorator(self.context, d) for d in node.decorators):
            self._bound_task_depth += 1

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if any(task_decorator(self.context, d) for d in original_node.decorators):
            self._bound_task_depth -= 1
        return updated_node

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_claimed(node):
            return  # one enqueue (apply_async, WC104), a periodic task's (WC115)
        qualified = self.context.qualified_name(node.func)
        if qualified in PRIMITIVES:
            name = qualified.rpartition(".")[2]
            self.report(node, f"{name}(...) is Celery canvas, which Weft does not have")
            return
        method = method_call(node)
        if method is None:
            return
        receiver, name = method
        is_task = self.context.task(receiver) is not None
        if name in SIGNATURE_METHODS and (is_task or self.context.kept_on_celery(receiver)):
            self.report(
                node,
                f"{dotted(receiver)}.{name}(...) builds a Celery signature; Weft has no "
                "canvas, so enqueue the task directly where the workflow needs it",
            )
        elif (
            name in ("s", "si")
            and not isinstance(receiver, LITERALS)
            and self.context.helper_parameter(receiver) is None  # reported as its helper
        ):
            label = dotted(receiver) or "this expression"
            self.report(
                node,
                f"{label}.{name}(...) looks like a Celery signature, but {label!r} is not a "
                "task the codemod found; if it is one, enqueue it directly (Weft has no "
                "canvas), otherwise ignore this",
            )
        elif name == "replace" and self._bound_task_depth and dotted(receiver) == "self":
            self.report(
                node,
                "self.replace(...) swaps the task for a canvas; enqueue the replacement "
                "and return instead",
            )
