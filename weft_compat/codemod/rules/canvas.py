"""WC205: canvas that ``canvas_workflows`` (WC118) does not rewrite, each with why.

A workflow stays on Celery, whole, when one of its parts has no weft_compat
counterpart with the same meaning: a signature of something that is not a known weft
task, ``chunks``/``map``/``starmap``, a signature by name, ``.set(...)`` with an option
``.using(...)`` refuses, a callback on a chain, canvas or a handle that goes where the
codemod does not follow it (returned, passed on, stored on the module), or a handle
read WorkflowSubmission answers differently. Each site of the workflow is reported
with that part's reason and its guide section. ``self.replace(...)`` in a task is
reported too: weft_compat has no counterpart for it.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._canvas_flow import CanvasPlan, canvas_plan
from weft_compat.codemod.rules._canvas_shapes import NO_SPELLING, REWRITE, WHY
from weft_compat.codemod.rules._shared import method_call, task_decorator
from weft_compat.codemod.rules.base import Rule

CODE = "WC205"
DESCRIPTION = (
    "canvas WC118 leaves on Celery: unknown receivers, chunks/map/starmap, canvas run "
    "elsewhere, refused options, self.replace"
)


class Canvas(Rule):
    """Flags the canvas that stays on Celery."""

    NAME = "canvas"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "canvas.md#wc205-canvas"
    WHY = "one part of the workflow has no weft_compat counterpart with the same meaning."

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._bound_task_depth = 0
        self._plan = CanvasPlan()

    def visit_Module(self, node: cst.Module) -> None:
        self._plan = canvas_plan(self.context, node)
        # A canvas dispatch is reported here, not as an unknown task's (WC201, WC203).
        self.context.claimed |= self._plan.silenced

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
        self._site(node)
        method = method_call(node)
        if (
            method is not None
            and method[1] == "replace"
            and self._bound_task_depth
            and dotted(method[0]) == "self"
        ):
            self.report(
                node,
                "self.replace(...) swaps the task for a canvas, which weft_compat has no "
                "counterpart for; enqueue the replacement workflow and return instead",
                NO_SPELLING,
                WHY[NO_SPELLING],
            )

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._site(node)

    def visit_Name(self, node: cst.Name) -> None:
        self._site(node)

    def visit_List(self, node: cst.List) -> None:
        self._site(node)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        self._site(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._site(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._site(node)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._site(node)

    def _site(self, node: cst.CSTNode) -> None:
        plan = self._plan
        site = plan.reports.get(id(node))
        if site is None:
            return
        context = self.context
        if site.enqueued:
            assert isinstance(node, cst.Call)  # a signature's dispatch
            if not context.is_claimed(node.func):
                self.report(
                    node,
                    f"{site.label} builds a Celery signature that apply_async (WC104) makes "
                    "one enqueue; that rule did not run on this file",
                    REWRITE,
                    WHY[REWRITE],
                )
            return
        if site.rewritten and plan.applied:
            return
        if context.is_claimed(node) and id(node) not in plan.silenced:
            return  # another rule's: a periodic task's signature (beat_schedule, WC115)
        failure = site.failure
        if failure is None:
            self.report(
                node,
                f"{site.label} is canvas that canvas_workflows (WC118) rewrites; that rule did "
                "not run on this file",
                REWRITE,
                WHY[REWRITE],
            )
            return
        joined = "" if site.inside else ", like the rest of its workflow"
        self.report(
            node,
            f"{site.label} was not rewritten{joined}: {failure.message}",
            failure.guide,
            failure.why,
        )
