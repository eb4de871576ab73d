"""WC203: per-call options that ``.using(...)`` does not accept, on apply_async and send_task.

Such a call is left unrewritten (it keeps ``apply_async``/``send_task``, which a
``weft_task`` refuses by name), and each option in the way is listed with its guide
section: ``max_retries`` belongs on the task, ``link`` callbacks and client-chosen
``task_id`` values are not supported at all. ``countdown``, ``eta`` and ``expires``
carry over to ``.using(...)`` and are not listed.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import (
    CALL_OPTIONS,
    REFUSED_CALL_OPTIONS,
    closest,
    keyword_name,
    method_call,
    string_value,
)
from weft_compat.codemod.rules.base import Rule

CODE = "WC203"
DESCRIPTION = "apply_async/send_task options .using(...) does not accept (max_retries, link, …)"
_SLOTS = {"apply_async": ("args", "kwargs"), "send_task": ("name", "args", "kwargs")}


class CallOptions(Rule):
    """Flags the options that keep a dispatch call from being rewritten."""

    NAME = "call_options"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc203-call_options"

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is None or method[1] not in _SLOTS:
            return
        receiver, name = method
        if name == "apply_async" and self.context.task(receiver) is None:
            return  # unknown receivers are reported by delay_unresolved
        if name == "send_task" and not self.context.is_app(receiver):
            return
        slots = _SLOTS[name]
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        if len(positional) > len(slots):
            self.report(
                node,
                f"{name}() is called with options passed by position; name them so the "
                "call can be migrated",
            )
        for arg in node.args:
            self._check(arg, name, slots)

    def _check(self, arg: cst.Arg, method: str, slots: tuple[str, ...]) -> None:
        option = keyword_name(arg)
        if option is None:
            if arg.star == "**":
                self.report(
                    arg, f"{method}() options passed with ** cannot be checked; spell them out"
                )
            return
        if option in slots or option in CALL_OPTIONS:
            return
        if option == "serializer" and string_value(arg.value) == "json":
            return
        reason = REFUSED_CALL_OPTIONS.get(option)
        if reason is None:
            self.report(
                arg,
                f"unknown {method}() option {option!r}{closest(option, CALL_OPTIONS)}; "
                "remove it or set a supported option with .using(...)",
                "calling.md#unknown-options",
            )
            return
        self.report(
            arg,
            f"{method}() option {option!r} is not supported by .using(...): {reason}; "
            "the call was left as it is",
            f"calling.md#{option}",
        )
