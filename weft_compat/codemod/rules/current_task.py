"""WC112: Celery's ``current_task`` becomes ``weft_compat.current_task``.

``weft_compat.current_task`` is the running task's instance (false outside a call),
as Celery's is, so ``current_task.request.id`` and ``current_task.name`` keep their
meaning; ``current_task.update_state(...)`` becomes ``weft_compat.update_state(...)``
with Celery's positional order (task id, state, meta) spelled as keywords. The name
is read through the module (``weft_compat.current_task``) because it changes with
every call.

Inside a task that becomes a weft task, or a method of a class that moves onto
``WeftTaskBase``, the use is rewritten. Elsewhere (a helper a task calls) it is
rewritten only when no task of the project stays on Celery, since such a helper may
run inside one; otherwise ``task_classes`` (WC209) reports it.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import keyword_arg, keyword_name, task_decorator
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_base_classes import task_class

CODE = "WC112"
DESCRIPTION = "current_task → weft_compat.current_task; current_task.update_state → update_state"
CURRENT_TASK = "celery.current_task"
# Celery's ``update_state(task_id=None, state=None, meta=None)``, by position.
UPDATE_STATE_PARAMS = ("task_id", "state", "meta")


def _weft(attribute: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("weft_compat"), cst.Name(attribute))


def update_state_args(call: cst.Call) -> list[cst.Arg] | None:
    """``weft_compat.update_state``'s keywords for Celery's arguments; None if they do not map."""
    args: list[cst.Arg] = []
    for position, arg in enumerate(call.args):
        name = keyword_name(arg)
        if arg.star or (name is None and position >= len(UPDATE_STATE_PARAMS)):
            return None
        if name is None:
            name = UPDATE_STATE_PARAMS[position]
        elif name not in UPDATE_STATE_PARAMS:
            return None
        args.append(keyword_arg(name, arg.value))
    return args


class CurrentTaskScope(Rule):
    """A rule base that knows whether the walk is inside code that runs as a weft task."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._scopes: list[bool] = [False]

    def in_weft_task(self) -> bool:
        """Whether the code being walked runs as (part of) a weft task."""
        return self._scopes[-1]

    def may_rewrite_current_task(self) -> bool:
        """Whether a ``current_task`` here can become weft_compat's."""
        index = self.context.index
        everything_moves = not index.celery_tasks and all(
            found.weft for found in index.task_classes.values()
        )
        return self.in_weft_task() or everything_moves

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        found = task_class(self.context, node) if len(self._scopes) == 1 else None
        self._scopes.append(self._scopes[-1] or (found is not None and found.weft))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._scopes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(self._scopes[-1] or self._weft_task(node))

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        return updated_node

    def _weft_task(self, node: cst.FunctionDef) -> bool:
        if not any(task_decorator(self.context, d) for d in node.decorators):
            return False
        qualified = self.context.facts.qualify(node.name.value)
        if len(self._scopes) == 1 and qualified is not None:
            return self.context.index.canonical(qualified) in self.context.index.tasks
        return False


class CurrentTask(CurrentTaskScope):
    """Rewrites Celery's ``current_task`` where the code runs as a weft task."""

    NAME = "current_task"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "task-classes.md#wc112-current_task"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Names in the places a use of the running task can take (an attribute's object,
        # an argument, a condition, a value): only those are rewritten, never a name
        # that is bound (a parameter, an import alias) or an attribute's own name.
        self._uses: set[int] = set()
        # ``current_task.update_state(...)`` calls to rewrite whole, and their receivers.
        self._updates: set[int] = set()
        self._receivers: set[int] = set()

    def _is_current_task(self, node: cst.BaseExpression) -> bool:
        return self.context.qualified_name(node) == CURRENT_TASK

    def _use(self, node: cst.CSTNode | None) -> None:
        if node is not None:
            self._uses.add(id(node))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._use(node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        self._use(node.value)

    def visit_Return(self, node: cst.Return) -> None:
        self._use(node.value)

    def visit_If(self, node: cst.If) -> None:
        self._use(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._use(node.test)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._use(node.value)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        self._use(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._use(node.left)
        self._use(node.right)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._use(node.left)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "update_state"
            and self._is_current_task(func.value)
            and self.may_rewrite_current_task()
            and update_state_args(node) is not None
        ):
            self._updates.add(id(node))
            self._receivers.add(id(func.value))  # rewritten with the call
            self.context.claim(func.value)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if id(original_node) not in self._updates:
            return updated_node
        func = original_node.func
        assert isinstance(func, cst.Attribute)  # checked in visit_Call
        args = update_state_args(updated_node)
        assert args is not None
        self._rewrote(func.value)
        return cst.Call(_weft("update_state"), args)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        # ``celery.current_task``, spelled through the module.
        if not self._is_current_task(original_node) or not self.may_rewrite_current_task():
            return updated_node
        if (
            id(original_node) not in self._uses
            or id(original_node) in self._receivers
            or isinstance(updated_node.value, cst.Attribute)
        ):
            return updated_node
        self._rewrote(original_node)
        return _weft("current_task")

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        if id(original_node) not in self._uses or id(original_node) in self._receivers:
            return updated_node
        if not self._is_current_task(original_node) or not self.may_rewrite_current_task():
            return updated_node
        self._rewrote(original_node)
        return _weft("current_task")

    def _rewrote(self, node: cst.BaseExpression) -> None:
        local = dotted_head(node)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat")
        self.context.claim(node)


def dotted_head(node: cst.BaseExpression) -> str | None:
    """``a`` for the Name ``a`` or the chain ``a.b``."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None
