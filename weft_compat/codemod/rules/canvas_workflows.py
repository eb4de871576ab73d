"""WC118: literal canvas → weft_compat's workflows, where every part has the same meaning.

``task.s(...)`` / ``task.si(...)`` / ``task.signature(...)`` on a known weft task become
``task.step(...)`` / ``task.fixed_step(...)``; ``chain``, ``group`` and ``chord`` come
from weft_compat instead of Celery; ``.set(...)`` becomes ``.using(...)`` when every
option is one ``.using(...)`` takes; ``.delay(...)``, ``.apply_async(...)`` and calling
a chain, group or chord become ``.enqueue(...)`` (``chord(header)(body)`` becomes
``chord(header, body).enqueue()``), ``apply_async(link=..., link_error=...)`` becomes
``.link(...)`` / ``.link_error(...)`` on the step, and ``GroupResult.restore(id)``
becomes ``WorkflowSubmission.from_id(id)``.

A workflow is rewritten whole or not at all (see ``_canvas_flow``): through the local
names of its function, with the handle reads WorkflowSubmission answers as Celery
does (``ready()``, ``successful()``, ``failed()``, ``revoke()``, ``get()`` as
``wait()``, and a group's ``id``, ``completed_count()`` and ``save()``, which it no
longer needs). What is not rewritten is reported by ``canvas`` (WC205), with why.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._canvas_build import build, exists, reassign, without
from weft_compat.codemod.rules._canvas_flow import CanvasPlan, canvas_plan
from weft_compat.codemod.rules._canvas_shapes import Action, Exists, Reassign
from weft_compat.codemod.rules.base import Rule

CODE = "WC118"
DESCRIPTION = (
    "literal canvas → weft_compat: .s/.si → .step/.fixed_step, chain/group/chord, "
    ".set → .using, .delay/.apply_async → .enqueue, GroupResult.restore → from_id"
)


class CanvasWorkflows(Rule):
    """Rewrites canvas whose every part has a weft_compat counterpart."""

    NAME = "canvas_workflows"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "canvas.md#wc118-canvas_workflows"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._plan = CanvasPlan()
        # The steps not applied yet, by the original node's id; and the lines to remove
        # (``handle.save()``), by the node the walk left, which their block drops.
        self._pending: set[int] = set()
        self._removed: set[int] = set()

    def visit_Module(self, node: cst.Module) -> None:
        plan = self._plan = canvas_plan(self.context, node)
        plan.applied = True
        self._pending = set(plan.actions)
        self.context.claimed |= plan.claimed
        for module, name in plan.imports:
            self.add_import(module, name)
        for local in plan.outright:
            self.drop_import_outright(local)
        for local, mentions in plan.drops.items():
            self.drop_import(local, mentions)

    def _step(self, original: cst.CSTNode) -> Action | None:
        action = self._plan.actions.get(id(original))
        if action is not None:
            self._pending.discard(id(original))
        return action

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        action = self._step(original_node)
        return updated_node if action is None else build(action, updated_node)

    def leave_Comparison(
        self, original_node: cst.Comparison, updated_node: cst.Comparison
    ) -> cst.BaseExpression:
        action = self._step(original_node)
        assert action is None or isinstance(action, Exists)
        return updated_node if action is None else exists(action, updated_node)

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        action = self._step(original_node)
        assert action is None or isinstance(action, Reassign)
        return updated_node if action is None else reassign(action, updated_node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        if self._step(original_node) is not None:
            self._removed.add(id(updated_node))
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self._removed or not any(id(line) in self._removed for line in updated_node.body):
            return updated_node
        block = without(updated_node, self._removed)
        self._removed -= {id(line) for line in updated_node.body}
        return block

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # A step that found no node, or a line left in place, would leave the workflow
        # half rewritten: the file fails (WC002) and stays as it was.
        if self._pending or self._removed:
            raise RuntimeError(f"canvas_workflows: {len(self._pending)} rewrite steps not applied")
        return updated_node
