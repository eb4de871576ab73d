"""What the codemod does with each option of a Celery task decorator.

``@weft_task`` refuses some of Celery's option names at import time, so a rewritten
decorator may carry only the names it accepts (``DECORATOR_OPTIONS``). Each refused
option is either dropped, where the task's work still runs (``rate_limit``: it runs
unthrottled), or it keeps the whole task on Celery, where dropping would change what
the task does (``base=``'s hooks, a ``filter``) or where the fix is a person's choice (a
typo such as ``ignore_results=``, a pickle serializer). A task kept on Celery keeps its
decorator, and its calls are not rewritten either.

The plan is computed from option names and literal values only, so the first pass
(``ast``) and the rewrite (LibCST) reach the same decision about every task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from weft_compat._option_names import DECORATOR_OPTIONS, REFUSED_OPTIONS

# A decorator option: its keyword (None for a positional or ** argument) and its value
# when that is a plain string literal; for ``base=``, the qualified name of the class.
Option = tuple[str | None, str | None]
# Whether a qualified class name is a task class the codemod moves onto WeftTaskBase.
WeftBase = Callable[[str], bool]


def no_weft_bases(qualified: str) -> bool:
    """No class is a rewritten task class (a plan made without the index)."""
    return False


# Refused option → what dropping it changes; the task's work still runs.
DROPPED: Final[Mapping[str, str]] = {
    "rate_limit": "the task runs unthrottled, since Weft has no rate limiting; "
    "throttle inside the task if it matters",
    "countdown": "Celery ignored it on a decorator too; a delay is chosen per call with "
    "task.using(countdown=...).enqueue(...)",
    "eta": "Celery ignored it on a decorator too; a due time is chosen per call with "
    "task.using(eta=...).enqueue(...)",
    "throws": "failures of those exceptions are logged like any other failure",
    "trail": "canvas parent/child tracking does not exist on Weft",
    "send_events": "Weft records every lifecycle event itself",
    "store_errors_even_if_ignored": "Weft always stores errors",
    "backend": "results are stored in Weft's broker instead; read them through WeftSubmission",
    "compression": "payloads are stored uncompressed",
    "shared": "every weft_task is shared",
    "lazy": "a weft_task registers when its module is imported",
    "acks_on_failure_or_timeout": "a failed or timed-out call ends FAILURE and is not redelivered",
}

# Refused option → why the task stays on Celery instead. A refused option that is in
# neither table also keeps the task on Celery: dropping is decided option by option.
KEEPS_CELERY: Final[Mapping[str, str]] = {
    "base": "the custom Task class is not one the codemod moves onto WeftTaskBase, so its "
    "hooks would not run under @weft_task",
    "Request": "a custom Request class's hooks would not run under @weft_task",
    "filter": "@weft_task has no filter hook, so the function would change",
    "aliases": "calls by an alias name would no longer find the task",
    "pydantic": "@weft_task validates with typing=True but does not convert arguments to models",
}


@dataclass(frozen=True)
class DecoratorPlan:
    """The options to drop, or why the task stays on Celery (then nothing is dropped)."""

    dropped: tuple[str, ...] = ()
    # (option, reason) for each option that keeps the task on Celery.
    blockers: tuple[tuple[str | None, str], ...] = ()

    @property
    def keeps_celery(self) -> bool:
        """Whether the decorator stays as it is."""
        return bool(self.blockers)

    def reason(self) -> str:
        """Why the task stays on Celery, for a message about its calls."""
        option, why = self.blockers[0]
        return f"{option}=: {why}" if option else why


def blocker(name: str | None, value: str | None, weft_base: WeftBase = no_weft_bases) -> str | None:
    """Why the option ``name=value`` keeps a task on Celery, None if it does not.

    ``base=`` carries over when its class is one the codemod rewrites (``weft_base``).
    """
    if name is None:
        return "options passed by position or with ** cannot be checked"
    if name == "base":
        return None if value is not None and weft_base(value) else KEEPS_CELERY["base"]
    if name == "serializer":
        return None if value == "json" else "weft_compat always serialises with JSON"
    if name in DECORATOR_OPTIONS or name in DROPPED:
        return None
    if name in KEEPS_CELERY:
        return KEEPS_CELERY[name]
    if name in REFUSED_OPTIONS:
        return f"@weft_task refuses it: {REFUSED_OPTIONS[name]}"
    return "Celery ignored this unknown option and @weft_task refuses it"


def plan(options: Sequence[Option], weft_base: WeftBase = no_weft_bases) -> DecoratorPlan:
    """The plan for a Celery task decorator called with ``options``."""
    blockers = tuple(
        (name, why)
        for name, value in options
        if (why := blocker(name, value, weft_base)) is not None
    )
    if blockers:
        return DecoratorPlan(blockers=blockers)
    dropped = tuple(
        name
        for name, _ in options
        if name is not None and name in DROPPED and name not in DECORATOR_OPTIONS
    )
    return DecoratorPlan(dropped=dropped)


def class_plan(attributes: Sequence[Option]) -> DecoratorPlan:
    """The plan for a task class's attributes. Only those named like options the runtime
    refuses count (it refuses them at registration); the others are the class's own."""
    return plan([(name, value) for name, value in attributes if name in _CLASS_OPTIONS])


_CLASS_OPTIONS = frozenset({*REFUSED_OPTIONS, "serializer"})
