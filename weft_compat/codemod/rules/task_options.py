"""WC202: task decorator options ``@weft_task`` refuses, non-JSON serializers, typos.

Celery copies unknown decorator keywords onto the task class, so ``ignore_results=True``
or ``max_retry=5`` did nothing, silently. ``@weft_task`` refuses them at import time;
this rule lists each one first, with the guide section for the option. The retry policy
(``autoretry_for``, ``max_retries``, ``retry_backoff``, …) and ``expires`` are honoured,
so they carry over unreported.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import (
    DECORATOR_OPTIONS,
    REFUSED_OPTIONS,
    closest,
    keyword_name,
    string_value,
    task_decorator,
)
from weft_compat.codemod.rules.base import Rule

CODE = "WC202"
DESCRIPTION = "task options @weft_task refuses (rate_limit, countdown, typos, …)"
# ``base=`` has its own rule (task_classes), with advice about the hooks.
_ELSEWHERE = frozenset({"base"})


class TaskOptions(Rule):
    """Flags decorator options that do not carry over."""

    NAME = "task_options"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "decorator.md#wc202-task_options"

    def visit_Decorator(self, node: cst.Decorator) -> None:
        match = task_decorator(self.context, node)
        if match is None or match[1] is None:
            return
        for arg in match[1].args:
            self._check(arg)

    def _check(self, arg: cst.Arg) -> None:
        option = keyword_name(arg)
        if option is None:
            if arg.star == "**":
                self.report(arg, "task options passed with ** cannot be checked; spell them out")
            return
        if option in _ELSEWHERE:
            return
        if option in REFUSED_OPTIONS:
            reason = REFUSED_OPTIONS[option]
            self.report(
                arg,
                f"task option {option!r} is refused by @weft_task: {reason}",
                f"decorator.md#{option.lower()}",
            )
        elif option == "serializer":
            value = string_value(arg.value)
            if value != "json":
                self.report(
                    arg,
                    f"serializer {value or '(computed)'!r} is not supported: weft_compat "
                    "always uses JSON; remove the option and pass JSON-ready arguments",
                )
        elif option not in DECORATOR_OPTIONS:
            self.report(
                arg,
                f"unknown task option {option!r}{closest(option, DECORATOR_OPTIONS)}: Celery "
                "ignored it silently, @weft_task refuses it; fix or remove it",
                "decorator.md#unknown-options",
            )
