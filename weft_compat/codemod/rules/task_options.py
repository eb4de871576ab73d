"""WC202: task decorator options ``@weft_task`` refuses, non-JSON serializers, typos.

Celery copies unknown decorator keywords onto the task class, so ``ignore_results=True``
or ``max_retry=5`` did nothing, silently; ``@weft_task`` refuses them at import time.
``task_decorator`` (WC102) drops the refused options whose loss leaves the task's work
running, and this rule says what each loss changes; any other refused option keeps the
task on Celery, and this rule says which one and why. The retry policy
(``autoretry_for``, ``max_retries``, ``retry_backoff``, …) and ``expires`` are honoured,
so they carry over unreported. ``base=`` is reported by ``task_classes`` (WC209).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.decorator_plan import DROPPED, blocker
from weft_compat.codemod.rules._shared import (
    DECORATOR_OPTIONS,
    REFUSED_OPTIONS,
    closest,
    decorator_plan,
    keyword_name,
    string_value,
    task_decorator,
)
from weft_compat.codemod.rules.base import Rule

CODE = "WC202"
DESCRIPTION = (
    "task options @weft_task refuses: dropped (rate_limit, …) or kept on Celery (typos, …)"
)
# ``base=`` has its own rule (task_classes), with advice about the hooks.
_ELSEWHERE = frozenset({"base"})
_KEPT = "so the task stays on Celery: its decorator and its calls were left as they are"


class TaskOptions(Rule):
    """Reports decorator options that do not carry over."""

    NAME = "task_options"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "decorator.md#wc202-task_options"
    WHY = (
        "the decorator passes an option @weft_task refuses, whose loss would change the task "
        "or whose fix is a person's choice."
    )

    def visit_Decorator(self, node: cst.Decorator) -> None:
        match = task_decorator(self.context, node)
        if match is None or match[1] is None:
            return
        migrated = match[2] == "weft_compat.weft_task"
        keeps_celery = not migrated and decorator_plan(self.context, match[1]).keeps_celery
        for arg in match[1].args:
            if migrated:
                self._check_weft_task(arg)
            else:
                self._check(arg, keeps_celery)

    def _check(self, arg: cst.Arg, keeps_celery: bool) -> None:
        option = keyword_name(arg)
        if option in _ELSEWHERE:
            return
        if option is None:
            self.report(
                arg,
                "a task option passed by position or with ** cannot be checked, "
                + _KEPT
                + "; spell the options out, then run the codemod again",
            )
            return
        if option in DROPPED and option not in DECORATOR_OPTIONS:
            where = (
                "is dropped once another option no longer keeps the task on Celery: "
                if keeps_celery
                else "removed from the rewritten decorator: "
            )
            self.report(
                arg,
                f"task option {option!r} {where}{DROPPED[option]}",
                _section(option),
                why="@weft_task refuses the option, and the task's work runs without it, so "
                "the rewrite drops it.",
            )
            return
        reason = blocker(option, string_value(arg.value))
        if reason is None:
            return
        if option == "serializer":
            self.report(
                arg,
                f"serializer {string_value(arg.value) or '(computed)'!r} is not supported: "
                f"weft_compat always uses JSON, {_KEPT}; pass JSON-ready arguments and "
                "remove the option, then run the codemod again",
            )
        elif option in REFUSED_OPTIONS:
            self.report(
                arg,
                f"task option {option!r} {_KEPT}: {reason}",
                _section(option),
                why=f"@weft_task refuses {option!r}, and dropping it would change the task.",
            )
        else:
            self.report(
                arg,
                f"unknown task option {option!r}{closest(option, DECORATOR_OPTIONS)}: Celery "
                f"ignored it silently and @weft_task refuses it, {_KEPT}; fix or remove it, "
                "then run the codemod again",
                "decorator.md#unknown-options",
            )

    def _check_weft_task(self, arg: cst.Arg) -> None:
        """A ``@weft_task`` written by hand (or by an older codemod) with a refused option."""
        option = keyword_name(arg)
        if option is None:
            if arg.star == "**":
                self.report(arg, "task options passed with ** cannot be checked; spell them out")
            return
        if option in REFUSED_OPTIONS:
            reason = REFUSED_OPTIONS[option]
            self.report(
                arg,
                f"task option {option!r} is refused by @weft_task: {reason}",
                _section(option),
            )
        elif option == "serializer" and string_value(arg.value) != "json":
            self.report(
                arg,
                f"serializer {string_value(arg.value) or '(computed)'!r} is not supported: "
                "weft_compat always uses JSON; remove the option and pass JSON-ready arguments",
            )
        elif option not in DECORATOR_OPTIONS:
            self.report(
                arg,
                f"unknown task option {option!r}{closest(option, DECORATOR_OPTIONS)}: "
                "@weft_task refuses it; fix or remove it",
                "decorator.md#unknown-options",
            )


def _section(option: str) -> str:
    return f"decorator.md#{option.lower()}"
