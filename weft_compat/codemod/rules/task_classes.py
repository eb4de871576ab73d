"""WC209: custom Task base classes, class-based tasks, and ``current_task``.

A ``base=`` class's hooks (``on_failure``, ``after_return``, ``before_start``, …) do
not run under weft_compat; ``@weft_task`` refuses ``base=``, so such a task stays on
Celery, decorator and calls, until its hooks have moved. The guide shows how to move
each hook into the function or a wrapper.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules._shared import keyword_name, task_decorator
from weft_compat.codemod.rules.base import Rule

CODE = "WC209"
DESCRIPTION = "custom base= Task classes, class-based tasks, current_task"
TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task"})
CURRENT_TASK = frozenset({"celery.current_task"})


class TaskClasses(Rule):
    """Flags Task subclasses and their uses."""

    NAME = "task_classes"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "task-classes.md#wc209-task_classes"

    def _is_task_class(self, node: cst.BaseExpression) -> bool:
        if self.context.qualified_name(node) in TASK_CLASSES:
            return True
        # ``app.Task``: the app's own base class.
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "Task"
            and self.context.is_app(node.value)
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            if base.keyword is None and self._is_task_class(base.value):
                self.report(
                    node,
                    f"class {node.name.value} subclasses Celery's Task: class-based tasks and "
                    "base classes do not carry over; move run() and the hooks into a "
                    "@weft_task function",
                )

    def visit_Decorator(self, node: cst.Decorator) -> None:
        match = task_decorator(self.context, node)
        if match is None or match[1] is None:
            return
        for arg in match[1].args:
            if keyword_name(arg) == "base":
                self.report(
                    arg,
                    f"base={dotted(arg.value) or '...'} sets a custom Task class whose hooks "
                    "would not run under @weft_task, so the task stays on Celery (its "
                    "decorator and its calls were left as they are); move the hooks into the "
                    "function and remove base=, then run the codemod again",
                    "decorator.md#base",
                )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.context.qualified_name(node.value) in CURRENT_TASK:
            self.report(
                node,
                "current_task is Celery's running task; make the task bind=True and use "
                "self (self.request.id, self.update_state)",
            )
