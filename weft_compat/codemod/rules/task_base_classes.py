"""WC111: Celery ``Task`` subclasses move onto ``WeftTaskBase``; ``register_task`` follows.

``class LoggedTask(Task)`` (``celery.Task``, ``app.Task``, ``celery.app.task.Task``)
becomes ``class LoggedTask(WeftTaskBase)``: the hooks keep Celery's names and
arguments, class attributes named like ``@weft_task`` options are that task's options,
and ``self`` offers what a bound task's does. A subclass of such a class, in any
module, needs no new base, only what its own attributes need. Class attributes the
runtime refuses are handled as ``decorator_plan`` handles the same options on a
decorator: dropped where the work still runs (``rate_limit``), else the class and
every class deriving from it stay on Celery (``task_classes``, WC209, reports them).

``app.register_task(MyTask())`` becomes ``register_task(MyTask)``, which returns the
task to enqueue, as Celery's does.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.index import TaskClass
from weft_compat.codemod.rules._shared import head_name, mentioned_names, method_call
from weft_compat.codemod.rules.base import Rule

CODE = "WC111"
DESCRIPTION = "Task subclasses → WeftTaskBase; app.register_task(X()) → register_task(X)"
CELERY_TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task"})


def is_task_root(context: FileContext, node: cst.BaseExpression) -> bool:
    """Whether ``node`` names Celery's Task class, or an app's (``app.Task``)."""
    if context.qualified_name(node) in CELERY_TASK_CLASSES:
        return True
    return (
        isinstance(node, cst.Attribute) and node.attr.value == "Task" and context.is_app(node.value)
    )


def task_class(context: FileContext, node: cst.ClassDef) -> TaskClass | None:
    """What the index decided about the module-level class ``node``, if it is a task class."""
    qualified = context.facts.qualify(node.name.value)
    if qualified is None:
        return None
    return context.index.task_classes.get(context.index.canonical(qualified))


def registered_class(context: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """``MyTask`` for ``app.register_task(MyTask())`` when MyTask moves onto WeftTaskBase."""
    method = method_call(call)
    if method is None or method[1] != "register_task" or not context.is_app(method[0]):
        return None
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    instance = call.args[0].value
    if not isinstance(instance, cst.Call) or instance.args:
        return None
    qualified = context.qualified_name(instance.func)
    if qualified is None or not context.index.is_weft_class(qualified):
        return None
    return instance.func


class TaskBaseClasses(Rule):
    """Moves task classes onto WeftTaskBase and rewrites their registration."""

    NAME = "task_base_classes"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "task-classes.md#wc111-task_base_classes"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._depth -= 1
        if self._depth:
            return updated_node
        found = task_class(self.context, original_node)
        if found is None or not found.weft:
            return updated_node
        bases = []
        for base in updated_node.bases:
            if base.keyword is None and is_task_root(self.context, base.value):
                local = head_name(base.value)
                if local is not None:
                    self.drop_import(local)
                self.add_import("weft_compat", "WeftTaskBase")
                base = base.with_changes(value=cst.Name("WeftTaskBase"))
            bases.append(base)
        updated_node = updated_node.with_changes(bases=bases)
        if found.dropped:
            updated_node = self._without(updated_node, frozenset(found.dropped))
        return updated_node

    def _without(self, node: cst.ClassDef, dropped: frozenset[str]) -> cst.ClassDef:
        """``node`` without its class attributes named in ``dropped``."""
        body = node.body
        if not isinstance(body, cst.IndentedBlock):
            return node
        kept: list[cst.BaseStatement] = []
        for statement in body.body:
            value = _assigned_value(statement, dropped)
            if value is not None:
                for name, count in mentioned_names(value).items():
                    self.drop_import(name, count)
                continue
            kept.append(statement)
        if not kept:
            kept = [cst.SimpleStatementLine([cst.Pass()])]
        return node.with_changes(body=body.with_changes(body=kept))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        cls = registered_class(self.context, original_node)
        if cls is None:
            return updated_node
        local = head_name(original_node.func)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat", "register_task")
        instance = updated_node.args[0].value
        assert isinstance(instance, cst.Call)  # checked by registered_class
        return cst.Call(cst.Name("register_task"), [cst.Arg(instance.func)])


def class_attribute(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``(name, value)`` for a class-level ``name = value`` statement line."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        return (target.value, small.value) if isinstance(target, cst.Name) else None
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value:
        return small.target.value, small.value
    return None


def _assigned_value(
    statement: cst.BaseStatement, names: frozenset[str]
) -> cst.BaseExpression | None:
    found = class_attribute(statement)
    return found[1] if found is not None and found[0] in names else None
