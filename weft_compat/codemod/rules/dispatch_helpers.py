"""WC216: functions that dispatch the task they are given, when the codemod cannot follow.

``def dispatch(task, *args): task.delay(*args)`` is rewritten inside (by ``delay``,
``apply_async``, ...) when every call of it in the tree passes a task that becomes a
weft task. Otherwise the helper is reported here, once, with the calls that pass
something else, and the dispatches inside it are not reported one by one.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules.base import Rule

CODE = "WC216"
DESCRIPTION = "functions dispatching the task they are given, where not every caller's is known"


class DispatchHelpers(Rule):
    """Reports dispatch helpers whose dispatch stays as it is."""

    NAME = "dispatch_helpers"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc216-dispatch_helpers"
    WHY = (
        "not every call of the helper passes a task that becomes a weft task, so its dispatch"
        " cannot be rewritten for all of them."
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if len(self.context.scopes) != 1:
            return  # only module-level functions are followed
        helper = self.context.helper()
        if helper is None:
            return
        index = self.context.index
        stuck = [param for param in helper.params if helper.signature(index, param) is None]
        if not stuck:
            return
        methods = ", ".join(f"{stuck[0]}.{method}" for method in helper.methods)
        self.report(
            node,
            f"{node.name.value}() dispatches the task it is given ({methods}), and its "
            f"dispatch was not rewritten: {helper.why_not(index)}; make those calls pass a "
            f"task the codemod migrates, or change the helper to call "
            f"{stuck[0]}.enqueue(...) once every task it gets is a weft task",
        )
