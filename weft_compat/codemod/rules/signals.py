"""WC208: receivers of Celery signals (task_failure, task_postrun, worker_ready, …).

Weft does not send Celery's signals. The guide maps the common uses: wrap the task
body for prerun/postrun/failure bookkeeping, read state from the handle, and move
worker startup code into the task module.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules._shared import method_call
from weft_compat.codemod.rules.base import Rule

CODE = "WC208"
DESCRIPTION = "Celery signal receivers (task_failure, task_postrun, worker_ready, …)"
SIGNALS_MODULE = "celery.signals."
APP_SIGNALS = frozenset(
    {"on_configure", "on_after_configure", "on_after_finalize", "on_after_fork"}
)


class Signals(Rule):
    """Flags connections to Celery signals."""

    NAME = "signals"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "signals.md#wc208-signals"
    WHY = "Weft does not send Celery's signals, so a receiver would never run."

    def _signal_name(self, node: cst.BaseExpression) -> str | None:
        qualified = self.context.qualified_name(node)
        if qualified is not None and qualified.startswith(SIGNALS_MODULE):
            return qualified[len(SIGNALS_MODULE) :]
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value in APP_SIGNALS
            and self.context.is_app(node.value)
        ):
            return node.attr.value
        return None

    def _check(self, anchor: cst.CSTNode, func: cst.BaseExpression) -> None:
        if not isinstance(func, cst.Attribute) or func.attr.value != "connect":
            return
        signal = self._signal_name(func.value)
        if signal is not None:
            self.report(
                anchor,
                f"receiver of Celery signal {signal!r}: Weft does not send Celery signals; "
                f"move the work into the task or read the handle's state ({dotted(func)})",
            )

    def visit_Decorator(self, node: cst.Decorator) -> None:
        # ``@signal.connect(sender=...)`` is a call, reported by visit_Call.
        if not isinstance(node.decorator, cst.Call):
            self._check(node, node.decorator)

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is not None and method[1] == "connect":
            self._check(node, node.func)
