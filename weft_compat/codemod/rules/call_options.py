"""WC203: per-call options that ``.using(...)`` does not accept, on apply_async and send_task.

Such a call is left unrewritten (it keeps ``apply_async``/``send_task``, which a
``weft_task`` refuses by name), and each option in the way is listed with its guide
section: ``max_retries`` belongs on the task, ``link`` callbacks and client-chosen
``task_id`` values are not supported at all. ``countdown``, ``eta`` and ``expires``
carry over to ``.using(...)`` and are not listed, except for an ``eta``/``expires``
built right there from a naive datetime (``datetime.utcnow() + timedelta(...)``, as
Celery's documentation writes it), which ``.using(...)`` refuses when the call runs.
Values computed elsewhere are not followed.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import (
    CALL_OPTIONS,
    REFUSED_CALL_OPTIONS,
    closest,
    dotted,
    keyword_name,
    method_call,
    string_value,
)
from weft_compat.codemod.rules.apply_async import PUBLISH_TIMEOUT
from weft_compat.codemod.rules.base import Rule

CODE = "WC203"
DESCRIPTION = (
    "apply_async/send_task options .using(...) does not accept (max_retries, link, naive eta, …)"
)
_SLOTS = {"apply_async": ("args", "kwargs"), "send_task": ("name", "args", "kwargs")}
_MOMENTS = ("eta", "expires")
GET_TASK = "weft_compat.get_task"
# datetime constructors that always return a naive datetime.
_NAIVE = frozenset(
    {"datetime.datetime.utcnow", "datetime.datetime.utcfromtimestamp", "datetime.datetime.today"}
)
# Constructors that return a naive datetime unless given a time zone: its keyword, position.
_NAIVE_WITHOUT_ZONE = {
    "datetime.datetime.now": ("tz", 0),
    "datetime.datetime.fromtimestamp": ("tz", 1),
    "datetime.datetime": ("tzinfo", 7),
}


def _has_zone(call: cst.Call, keyword: str, position: int) -> bool:
    positional = [arg for arg in call.args if arg.keyword is None]
    return (
        any(arg.star for arg in call.args)
        or len(positional) > position
        or any(keyword_name(arg) == keyword for arg in call.args)
    )


class CallOptions(Rule):
    """Flags the options that keep a dispatch call from being rewritten, and naive moments."""

    NAME = "call_options"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc203-call_options"
    WHY = (
        "the call passes an option .using(...) does not accept, so rewriting it would fail or"
        " change the call."
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is None or self.context.is_claimed(node):
            return  # canvas (apply_async(link=...)) is WC118's and WC205's
        if method[1] == "using" and self._is_task(method[0]):
            self._check_moments(node, "using")  # migrated already, or written by hand
            return
        if method[1] not in _SLOTS:
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
        self._check_moments(node, name)

    def _is_task(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            return self.context.qualified_name(receiver.func) == GET_TASK
        return self.context.task(receiver) is not None

    def _check_moments(self, node: cst.Call, method: str) -> None:
        for arg in node.args:
            option = keyword_name(arg)
            if option not in _MOMENTS:
                continue
            naive = self._naive_datetime(arg.value)
            if naive is not None:
                self.report(
                    naive,
                    f"{method}() option {option!r} is built from {dotted(naive.func)}(), a "
                    "naive datetime, which .using(...) refuses when the call runs; use an "
                    "aware one such as django.utils.timezone.now() or "
                    "datetime.now(timezone.utc)",
                )

    def _naive_datetime(self, value: cst.BaseExpression) -> cst.Call | None:
        """The naive datetime constructor ``value`` is built from, if it shows one."""
        if isinstance(value, cst.BinaryOperation):
            # datetime ± timedelta keeps the datetime's zone, or its lack of one.
            return self._naive_datetime(value.left) or self._naive_datetime(value.right)
        if not isinstance(value, cst.Call):
            return None
        qualified = self.context.qualified_name(value.func)
        if qualified in _NAIVE:
            return value
        zone = _NAIVE_WITHOUT_ZONE.get(qualified or "")
        if zone is not None and not _has_zone(value, *zone):
            return value
        return None

    def _check(self, arg: cst.Arg, method: str, slots: tuple[str, ...]) -> None:
        option = keyword_name(arg)
        if option is None:
            if arg.star == "**":
                self.report(
                    arg, f"{method}() options passed with ** cannot be checked; spell them out"
                )
            return
        if option == PUBLISH_TIMEOUT:
            self.report(
                arg,
                f"{method}(timeout=...) is Celery's publish timeout (how long to wait for the "
                "broker), not a time limit, so it was dropped: Weft's submission does not wait "
                "on a remote broker; to limit the task's run time, set time_limit= on the task",
                "calling.md#timeout",
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
