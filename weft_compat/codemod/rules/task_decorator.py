"""WC102: ``@shared_task`` and ``@app.task`` become ``@weft_task``, options unchanged.

``@weft_task`` takes Celery's option names, so options are carried over as written;
the ones it refuses stay in place, where its import-time error names them, and
``task_options`` (WC202) lists them.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import head_name, task_decorator
from weft_compat.codemod.rules.base import Rule

CODE = "WC102"
DESCRIPTION = "@shared_task / @app.task → @weft_task, options carried over"


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
        target, _call, _ = match
        local = head_name(target)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat", "weft_task")
        new_target = cst.Name("weft_task")
        expression = updated_node.decorator
        if isinstance(expression, cst.Call):
            return updated_node.with_changes(decorator=expression.with_changes(func=new_target))
        return updated_node.with_changes(decorator=new_target)
