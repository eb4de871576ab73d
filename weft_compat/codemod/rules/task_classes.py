"""WC209: task classes and ``base=`` classes that stay on Celery, and what moving changes.

``task_base_classes`` (WC111) moves Task subclasses onto ``WeftTaskBase``. Reported
here: a class that stays on Celery (an attribute the runtime refuses and whose loss
would change the task, or a base that stays), with every class deriving from it; an
attribute the move drops (``rate_limit = ...``, with what its loss changes); a
``base=`` whose class is not one the codemod moves (the task stays on Celery); a
``Task`` subclass the index does not see (a class inside a function); and, inside a
moved class, ``self.`` names Celery's Task has and ``WeftTaskBase`` does not
(``self.app``, ``self.delay``, ``self.backend``, …).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.decorator_plan import DROPPED
from weft_compat.codemod.rules._shared import keyword_name, task_decorator
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_base_classes import class_attribute, is_task_root, task_class

CODE = "WC209"
DESCRIPTION = "Task classes and base= classes that stay on Celery; what moving a class drops"
# ``self.<name>`` of a Celery Task that WeftTaskBase has not, and what to do instead.
CELERY_ONLY = {
    "app": "there is no app object; read settings from django.conf.settings or WEFT_COMPAT",
    "backend": "results live in Weft's broker; read them through WeftSubmission",
    "delay": "enqueue the task by its WeftTask: weft_compat.get_task(self.name).enqueue(...)",
    "apply_async": "use weft_compat.get_task(self.name).using(...).enqueue(...)",
    "AsyncResult": "use WeftSubmission.from_tid(task_id)",
    "s": "build the step from the task: weft_compat.get_task(self.name).step(...)",
    "si": "build the step from the task: weft_compat.get_task(self.name).fixed_step(...)",
    "signature": "build the step from the task: weft_compat.get_task(self.name).step(...)",
    "subtask": "build the step from the task: weft_compat.get_task(self.name).step(...)",
    "replace": "a running call cannot be replaced; enqueue the replacement and return",
    "send_event": "Weft records each call's lifecycle itself; update_state reports progress",
    "add_to_chord": "a chord's header is fixed when it is enqueued",
    "shadow_name": "a call runs under its task's name",
    "push_request": "the request is set for each call by the runtime",
    "pop_request": "the request is set for each call by the runtime",
}


class TaskClasses(Rule):
    """Reports task classes that stay on Celery and what moving one changes."""

    NAME = "task_classes"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "task-classes.md#wc209-task_classes"
    WHY = (
        "the class keeps an attribute whose loss would change the task, derives from a class "
        "that stays on Celery, or uses a Celery Task name WeftTaskBase lacks."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Depth of classes; whether the module-level one being walked moves.
        self._classes = 0
        self._moved = False
        # Names that are no use of current_task: import aliases, attribute names.
        self._not_uses: set[int] = set()
        self._reported_current_task: set[int] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes += 1
        if self._classes > 1:
            self._unseen(node)
            return
        found = task_class(self.context, node)
        if found is None:
            self._unseen(node)
            return
        self._moved = found.weft
        name = node.name.value
        if not found.weft:
            self.report(
                node,
                f"class {name} stays on Celery: {found.reason}; its tasks keep their Celery "
                "decorators and calls until it can move onto WeftTaskBase",
                why=f"the class cannot move onto WeftTaskBase because {found.reason}.",
            )
            return
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            attribute = class_attribute(statement)
            if attribute is not None and attribute[0] in found.dropped:
                option = attribute[0]
                self.report(
                    statement,
                    f"{name}.{option} was removed: {DROPPED[option]}",
                    f"decorator.md#{option.lower()}",
                )

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._classes -= 1
        if not self._classes:
            self._moved = False
        return updated_node

    def _unseen(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            if base.keyword is None and is_task_root(self.context, base.value):
                self.report(
                    node,
                    f"class {node.name.value} subclasses Celery's Task inside a function or "
                    "class, where the codemod does not follow it; move it to module level or "
                    "subclass weft_compat.WeftTaskBase by hand",
                )
                return

    def visit_Decorator(self, node: cst.Decorator) -> None:
        match = task_decorator(self.context, node)
        if match is None or match[1] is None:
            return
        for arg in match[1].args:
            if keyword_name(arg) != "base":
                continue
            qualified = self.context.qualified_name(arg.value)
            if qualified is not None and self.context.index.is_weft_class(qualified):
                continue
            self.report(
                arg,
                f"base={dotted(arg.value) or '...'} is not a class the codemod moves onto "
                "WeftTaskBase, so the task stays on Celery (its decorator and its calls were "
                "left as they are); make the class a weft_compat.WeftTaskBase subclass (or "
                "move its hooks into the function), then run the codemod again",
                "decorator.md#base",
            )

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        self._not_uses.add(id(node.name))
        if node.asname is not None:
            self._not_uses.add(id(node.asname.name))

    def visit_Param(self, node: cst.Param) -> None:
        self._not_uses.add(id(node.name))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        self._current_task(original_node)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        self._current_task(original_node)
        return updated_node

    def _current_task(self, node: cst.Name | cst.Attribute) -> None:
        """Report a use of Celery's current_task that current_task (WC112) left."""
        if id(node) in self._not_uses or self.context.is_claimed(node):
            return
        if self.context.qualified_name(node) != "celery.current_task":
            return
        statement = self.context.statement
        if id(statement) in self._reported_current_task:
            return  # once per statement
        self._reported_current_task.add(id(statement))
        self.report(
            node,
            "current_task was not rewritten: outside a weft task it becomes "
            "weft_compat.current_task only when no task of the project stays on Celery, and "
            "update_state(...) only with Celery's task_id/state/meta arguments; use "
            "weft_compat.current_task / weft_compat.update_state(state=..., meta=...) by hand",
        )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._not_uses.add(id(node.attr))
        if not self._moved or dotted(node.value) != "self":
            return
        advice = CELERY_ONLY.get(node.attr.value)
        if advice is not None:
            self.report(
                node,
                f"self.{node.attr.value} is Celery's Task's; WeftTaskBase has none: {advice}",
            )
