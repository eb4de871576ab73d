"""WC102: ``@shared_task`` and ``@app.task`` become ``@weft_task``.

``@weft_task`` takes Celery's option names, so options are carried over as written,
except the ones it refuses: those whose loss leaves the task's work running
(``rate_limit``, ``throws``, …) are dropped, and any other (a typo, a pickle
serializer, a ``base=`` class the codemod does not move onto ``WeftTaskBase``) keeps
the decorator, and so the task, on Celery (see ``decorator_plan``). ``task_options``
(WC202) and ``task_classes`` (WC209) report both.

Tasks are found however they are made: a decorator (stacked with others or not), a
call at module level (``send = app.task(send_impl)``, ``app.task(bind=True)(impl)``),
or a project function that calls the decorator inside (``@tasks.task(bind=True)``
where ``tasks.task`` returns ``app.task(*args, **kwargs)``). Such a function's own
call becomes ``weft_task(...)`` when it and every use of it carry over; its uses keep
their spelling and lose only the options ``weft_task`` refuses and the codemod drops.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
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
WEFT_TASK = "weft_compat.weft_task"


def function_parameters(node: cst.FunctionDef) -> frozenset[str]:
    """Every parameter name of ``node``, ``*args`` and ``**kwargs`` included."""
    params = node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return frozenset(names)


class TaskDecorator(Rule):
    """Rewrites Celery task decorators to ``weft_task``."""

    NAME = "task_decorator"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "decorator.md#wc102-task_decorator"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Module-level function being walked, if it is a project task decorator that
        # moves onto weft_task: its parameters (which its own call passes on).
        self._functions: list[cst.FunctionDef] = []
        self._wrapper_params: frozenset[str] | None = None
        # Calls at module level registering a task (``send = app.task(impl)``).
        self._registrations: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._functions:
            facts, index = self.context.facts, self.context.index
            qualified = facts.qualify(node.name.value)
            wrapper = index.wrappers.get(index.canonical(qualified)) if qualified else None
            if wrapper is not None and wrapper.weft:
                self._wrapper_params = function_parameters(node)
        self._functions.append(node)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._functions.pop()
        if not self._functions:
            self._wrapper_params = None
        return updated_node

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._functions or not isinstance(node.value, cst.Call):
            return
        names = [t.target for t in node.targets if isinstance(t.target, cst.Name)]
        qualified = [self.context.qualified_name(name) for name in names]
        if not any(q in self.context.index.tasks for q in qualified):
            return
        call = node.value
        if isinstance(call.func, cst.Call):
            call = call.func  # ``app.task(bind=True)(impl)``
        self._registrations.add(id(call))

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        match = task_decorator(self.context, original_node)
        if match is None or match[2] == WEFT_TASK:
            return updated_node
        target, call, qualified = match
        wrapper = self.context.index.wrappers.get(qualified)
        forwarded = self._wrapper_params or frozenset()
        decision = decorator_plan(self.context, call, forwarded)
        if decision.keeps_celery or (wrapper is not None and not wrapper.weft):
            return updated_node  # reported by task_options / task_classes
        expression = updated_node.decorator
        if wrapper is not None:
            # A project decorator keeps its name; only what weft_task refuses goes.
            if not isinstance(expression, cst.Call) or not decision.dropped:
                return updated_node
            kept = self._kept_args(expression, frozenset(decision.dropped))
            if expression.args and not kept:
                return updated_node.with_changes(decorator=expression.func)
            return updated_node.with_changes(decorator=expression.with_changes(args=kept))
        new = self._renamed(target, expression, decision.dropped)
        return updated_node.with_changes(decorator=new)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        registering = id(original_node) in self._registrations
        if not registering and self._wrapper_params is None:
            return updated_node
        qualified = self.context.qualified_name(original_node.func)
        index = self.context.index
        if (
            qualified is None
            or qualified == WEFT_TASK
            or qualified in index.wrappers  # a project function keeps its name
            or not index.is_task_decorator(qualified)
        ):
            return updated_node
        forwarded = self._wrapper_params or frozenset()
        if registering:
            # ``app.task(impl)``: the function it is applied to is no option.
            forwarded = frozenset(
                arg.value.value
                for arg in original_node.args
                if arg.keyword is None and isinstance(arg.value, cst.Name)
            )
        decision = decorator_plan(self.context, original_node, forwarded)
        if decision.keeps_celery:
            return updated_node
        return self._renamed(original_node.func, updated_node, decision.dropped)

    def _renamed(
        self,
        target: cst.BaseExpression,
        expression: cst.BaseExpression,
        dropped: tuple[str, ...],
    ) -> cst.BaseExpression:
        """``expression`` (a decorator, or a call of one) calling ``weft_task`` instead."""
        local = head_name(target)
        if local is not None:
            self.drop_import(local)
        self.add_import("weft_compat", "weft_task")
        new_target = cst.Name("weft_task")
        if not isinstance(expression, cst.Call):
            return new_target
        kept = self._kept_args(expression, frozenset(dropped))
        if expression.args and not kept:
            return new_target
        return expression.with_changes(func=new_target, args=kept)

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
