"""WC213: decorators that look like Celery task decorators but the codemod does not know.

``@something.task`` where ``something`` is not an app the index found (an app built
in a way it cannot follow, or from a package outside the tree), and Celery 3's
``@task`` / ``@periodic_task`` from ``celery.task`` / ``celery.decorators``. Such a task
keeps its decorator and its calls stay ``.delay``, so it is reported rather than left
silently.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.index import CELERY_3_DECORATORS, unrecognised_task_decorator
from weft_compat.codemod.rules.base import Rule

CODE = "WC213"
DESCRIPTION = "task decorators on an object the codemod does not know as a Celery app"


class UnknownTasks(Rule):
    """Reports task-shaped decorators the index does not recognise."""

    NAME = "unknown_tasks"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "decorator.md#wc213-unknown_tasks"
    WHY = (
        "the decorator's object is not a Celery app the index found, so the codemod cannot "
        "tell it makes tasks."
    )

    def visit_Decorator(self, node: cst.Decorator) -> None:
        expression = node.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        spelled = dotted(target)
        if spelled is None:
            return
        qualified = self.context.qualified_name(target)
        if qualified is None:
            if not spelled.endswith(".task") or spelled.startswith("self."):
                return
        elif not unrecognised_task_decorator(self.context.index, qualified):
            return
        if qualified in CELERY_3_DECORATORS:
            self.report(
                node,
                f"@{spelled} is Celery 3's decorator, gone from Celery 5, and the codemod does "
                "not rewrite it; use @shared_task (or @weft_task) and run the codemod again",
            )
            return
        owner = spelled.rpartition(".")[0]
        self.report(
            node,
            f"@{spelled} was not rewritten: {owner!r} is not a Celery app the codemod found "
            "(an app made in a way it cannot follow, or outside the paths given), so the "
            "task and its calls stay as they are; if it is an app, run the codemod over "
            "the module that makes it too, or use @shared_task (if it is another library's "
            "decorator, ignore this)",
        )
