"""Tracking which local names hold a result handle (``AsyncResult`` or a dispatch result).

Both the rewrite of handle reads and the flags for reads without an equivalent need
to know that ``result`` in ``result.state`` came from ``AsyncResult(task_id)`` or
``task.delay(...)``. Tracking is per function and by plain assignment; a name
rebound to anything else stops being a handle.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import method_call
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.shapes import ASYNC_RESULT_CLASSES

__all__ = ["ASYNC_RESULT_CLASSES", "HandleTracking"]

_DISPATCH_METHODS = frozenset({"delay", "apply_async", "enqueue", "AsyncResult"})
_HANDLE_FACTORIES = frozenset(
    {"weft_compat.WeftSubmission.from_tid", "weft_compat.enqueue", *ASYNC_RESULT_CLASSES}
)


class HandleTracking(Rule):
    """A rule base that knows which names in scope are result handles."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._scopes: list[set[str]] = [set()]

    def makes_handle(self, node: cst.BaseExpression) -> bool:
        """Whether evaluating ``node`` (an original node) yields a result handle."""
        if not isinstance(node, cst.Call):
            return False
        context = self.context
        if context.qualified_name(node.func) in _HANDLE_FACTORIES:
            return True
        method = method_call(node)
        if method is None:
            return False
        receiver, name = method
        if name == "send_task":
            return context.is_app(receiver)
        if name in _DISPATCH_METHODS:
            return context.task(receiver) is not None or (
                name == "AsyncResult" and context.is_app(receiver)
            )
        return False

    def is_handle(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is a handle: a tracked name or a handle-making call."""
        if isinstance(node, cst.Name):
            return any(node.value in scope for scope in self._scopes[-1:])
        return self.makes_handle(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append(set())

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        return updated_node

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                if self.makes_handle(node.value):
                    self._scopes[-1].add(name)
                else:
                    self._scopes[-1].discard(name)
