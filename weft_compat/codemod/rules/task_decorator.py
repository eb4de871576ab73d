"""WC102: ``@shared_task`` and ``@app.task`` become ``@weft_task``.

``@weft_task`` takes Celery's option names, so options are carried over as written,
except the ones it refuses: those whose loss leaves the task's work running
(``rate_limit``, ``throws``, …) are dropped, and any other (``base=``, a typo, a pickle
serializer) keeps the decorator, and so the task, on Celery (see ``decorator_plan``).
``task_options`` (WC202) and ``task_classes`` (WC209) report both.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import (
    decorator_plan,
    head_name,
    kept_args,
    mentioned_names,
    task_decorator,
)
from weft_compat.codemod.rules.base import Rule

CODE = "WC102"
DESCRIPTION = "@shared_task / @app.task → @weft_task; options it refuses dropped or reported"


class TaskDecorator(Rule):
    """Rewrites Celery task decorators to ``weft_task``."""

    NAME = "task_decorator"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "decorator.md#wc102-task_decorator"

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        match = task_decorator(self.context, original_node)
        if match is None or match[2] == "weft_compat.weft_task":
            return updated_node
        target, call, _ = match
        decision = decorator_plan(self.context, call)
        if decision.keeps_celery:
            return updated_node  # reported by task_options / task_classes
        local = head_name(target)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat", "weft_task")
        new_target = cst.Name("weft_task")
        expression = updated_node.decorator
        if not isinstance(expression, cst.Call):
            return updated_node.with_changes(decorator=new_target)
        kept = self._kept_args(expression, frozenset(decision.dropped))
        if expression.args and not kept:
            return updated_node.with_changes(decorator=new_target)
        return updated_node.with_changes(
            decorator=expression.with_changes(func=new_target, args=kept)
        )

    def _kept_args(self, call: cst.Call, dropped: frozenset[str]) -> list[cst.Arg]:
        """The call's arguments without the dropped options (whose names' imports may go)."""
        positions = {
            position
            for position, arg in enumerate(call.args)
            if arg.keyword is not None and arg.keyword.value in dropped
        }
        for position in positions:
            for name, count in mentioned_names(call.args[position].value).items():
                self.drop_import(name, count)
        return kept_args(call.args, positions)
