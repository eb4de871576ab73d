"""WC208: receivers and imports of the Celery signals weft_compat does not send.

weft_compat sends Celery's task signals, and ``task_signals`` (WC117) moves their
imports to ``weft_compat.signals``. The worker and app signals (``worker_ready``,
``worker_process_init``, ``setup_logging``, ``task_received``, ...,
``app.on_after_configure``) are never sent: each receiver of one is reported, and so is
each import left on ``celery.signals``, which stops working once Celery is uninstalled.
The guide says where their work goes.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules._shared import method_call
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_signals import CELERY_SIGNALS, SENT, signals_import

CODE = "WC208"
DESCRIPTION = "Celery signals weft_compat does not send (worker_ready, …): receivers, imports"
APP_SIGNALS = frozenset(
    {"on_configure", "on_after_configure", "on_after_finalize", "on_after_fork"}
)
_NEEDS_CELERY = (
    "needs Celery, so this module stops importing once Celery is uninstalled; delete it, "
    "with any receivers of the signals weft_compat does not send"
)


class Signals(Rule):
    """Flags receivers of the signals weft_compat does not send, and their imports."""

    NAME = "signals"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "signals.md#wc208-signals"
    WHY = (
        "weft_compat sends only Celery's task and publish signals; a worker or app "
        "signal is never sent, so its receiver would never run."
    )

    def _signal_name(self, node: cst.BaseExpression) -> str | None:
        qualified = self.context.qualified_name(node)
        if qualified is not None and qualified.rpartition(".")[0] == CELERY_SIGNALS:
            name = qualified.rpartition(".")[2]
            return None if name in SENT else name  # moved by task_signals (WC117)
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
                f"receiver of Celery signal {signal!r}, which weft_compat does not send: "
                f"move its work as the guide shows, then delete the receiver ({dotted(func)})",
            )

    def visit_Decorator(self, node: cst.Decorator) -> None:
        if self.context.is_claimed(node):
            return  # a periodic-task handler that beat_schedule (WC115) replaces
        # ``@signal.connect(sender=...)`` is a call, reported by visit_Call.
        if not isinstance(node.decorator, cst.Call):
            self._check(node, node.decorator)

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is not None and method[1] == "connect":
            self._check(node, node.func)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or self.context.is_claimed(node):
            return  # claimed: an import task_signals (WC117) reports whole
        module = dotted(node.module)
        if module == CELERY_SIGNALS and isinstance(node.names, cst.ImportStar):
            self.report(
                node,
                f"from celery.signals import * {_NEEDS_CELERY}; import the task signals "
                "you use from weft_compat.signals",
            )
            return
        names = signals_import(node)
        if names is not None:
            # What task_signals (WC117) leaves here once the task signals moved.
            left = [name for name in names if name not in SENT]
            if left:
                self.report(node, f"from celery.signals import {', '.join(left)} {_NEEDS_CELERY}")
        elif module == "celery" and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                # Reported while the module still has uses of it once the task signals'
                # moved; an import the rewrite drops takes its finding with it.
                if dotted(alias.name) == "signals":
                    self.report(alias, f"from celery import signals {_NEEDS_CELERY}")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if dotted(alias.name) == CELERY_SIGNALS:
                self.report(alias, f"import celery.signals {_NEEDS_CELERY}")
