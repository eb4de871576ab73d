"""Which task and call option names weft_compat honours, which it refuses, and why.

Names only, no values: `_options` validates values with pydantic, while the codemod
reads these tables to decide what a rewritten decorator or `.using(...)` may keep,
without loading the runtime.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final

from weft_compat.exceptions import UnsupportedOption

__all__ = [
    "CALLING_GUIDE",
    "CALL_OPTIONS",
    "DECORATOR_GUIDE",
    "DECORATOR_OPTIONS",
    "REFUSED_CALL_OPTIONS",
    "REFUSED_OPTIONS",
    "RETRY_OPTIONS",
    "check_call_option_names",
    "check_decorator_option_names",
]

DECORATOR_GUIDE: Final = "migration_guide/decorator.md"
CALLING_GUIDE: Final = "migration_guide/calling.md"

# Options a call may change through `WeftTask.using(...)` (apply_async's role).
CALL_OPTIONS: Final = frozenset(
    {
        "time_limit",
        "soft_time_limit",
        "timeout",
        "memory_mb",
        "cpu_percent",
        "metadata",
        "headers",
        "queue",
        "priority",
        "ignore_result",
        "database",
        "lane",
        "countdown",
        "eta",
        "expires",
        "result_expires",
        "owner",
    }
)

# Celery's retry policy: decoration-time only, as on a Celery task class.
RETRY_OPTIONS: Final = frozenset(
    {
        "autoretry_for",
        "dont_autoretry_for",
        "max_retries",
        "default_retry_delay",
        "retry_backoff",
        "retry_backoff_max",
        "retry_jitter",
        "retry_kwargs",
    }
)

# Options `@weft_task(...)` accepts. `acks_late=False` and `reject_on_worker_lost=False` opt a
# task out of redelivery in the pooled lane; `track_started` is accepted with no effect.
DECORATOR_OPTIONS: Final = frozenset(
    {
        "name",
        "bind",
        "typing",
        "serializer",
        "acks_late",
        "track_started",
        "reject_on_worker_lost",
        "base",
    }
    | RETRY_OPTIONS
    # `owner` is a call's alone: a custom task class may well have an attribute of that name.
    | (CALL_OPTIONS - {"headers", "database", "countdown", "eta", "owner"})
)

_NO_CANVAS = "canvas parent/child tracking does not exist on Weft; remove it"
_NO_PUBLISH_RETRY = "Weft's submission is durable and needs no publish retries; remove it"

# Celery decorator option → why it is refused (a section of the decorator guide page).
REFUSED_OPTIONS: Final[Mapping[str, str]] = {
    "countdown": "a delay is chosen per call; use task.using(countdown=...).enqueue(...)",
    "eta": "a due time is chosen per call; use task.using(eta=...).enqueue(...)",
    "rate_limit": "Weft has no rate limiting; remove it or throttle inside the task",
    "throws": "expected exceptions are not logged differently; remove it",
    "trail": _NO_CANVAS,
    "send_events": "Weft records every lifecycle event itself; remove it",
    "store_errors_even_if_ignored": "Weft always stores errors; remove it",
    "backend": "Weft stores results in its own broker; remove it",
    "Request": "custom Request classes do not carry over; remove it",
    "compression": "Weft does not compress payloads; remove it",
    "aliases": "a task has one name; register a second task that calls the first",
    "shared": "every weft_task is shared; remove it",
    "lazy": "weft_task registers at import time; remove it",
    "filter": "weft_task has no filter hook; wrap the function instead",
    "acks_on_failure_or_timeout": "Weft records failures durably; remove it",
    "pydantic": "use typing=True, which validates with pydantic at enqueue",
}

# `apply_async` keyword → why `.using(...)` refuses it (a section of the calling guide page).
REFUSED_CALL_OPTIONS: Final[Mapping[str, str]] = {
    "max_retries": "the retry limit belongs to the task; set it in @weft_task(max_retries=...)",
    "link": "callbacks are not supported; enqueue the next task at the end of this one",
    "link_error": "error callbacks are not supported; catch the error in the task",
    "task_id": "Weft assigns task ids; read `submission.tid` after enqueue",
    "shadow": "a call runs under its task's name; remove it",
    "producer": "Weft has no producers; remove it",
    "connection": "Weft has no connections to pass; remove it",
    "retry": _NO_PUBLISH_RETRY,
    "retry_policy": _NO_PUBLISH_RETRY,
    "exchange": "Weft has no exchanges; use `queue`",
    "routing_key": "Weft has no routing keys; use `queue`",
    "add_to_parent": _NO_CANVAS,
    "serializer": "the serializer is fixed per task (JSON); remove it",
    "compression": REFUSED_OPTIONS["compression"],
}


def _refusal(
    option: str,
    known: frozenset[str],
    refused: Mapping[str, str],
    *,
    where: str,
    guide: str,
) -> UnsupportedOption:
    reason = refused.get(option)
    if reason is not None:
        return UnsupportedOption(
            f"{where} option {option!r} is not supported: {reason} (see {guide}#{option.lower()})"
        )
    close = difflib.get_close_matches(option, sorted(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return UnsupportedOption(
        f"unknown {where} option {option!r}: {hint}Celery ignored unknown options silently, "
        f"weft_compat refuses them (see {guide}#unknown-options)"
    )


def check_decorator_option_names(options: Mapping[str, Any]) -> None:
    """Raise `UnsupportedOption` for the first option `@weft_task` does not accept."""
    for option in options:
        if option in CALL_OPTIONS - DECORATOR_OPTIONS and option not in REFUSED_OPTIONS:
            raise UnsupportedOption(
                f"task option {option!r} is chosen per call, not per task; use "
                f"task.using({option}=...).enqueue(...) (see {CALLING_GUIDE}#per-call-options)"
            )
        if option not in DECORATOR_OPTIONS:
            raise _refusal(
                option, DECORATOR_OPTIONS, REFUSED_OPTIONS, where="task", guide=DECORATOR_GUIDE
            )


def check_call_option_names(options: Mapping[str, Any]) -> None:
    """Raise `UnsupportedOption` for the first option `.using(...)` does not accept."""
    for option in options:
        if option not in CALL_OPTIONS:
            raise _refusal(
                option, CALL_OPTIONS, REFUSED_CALL_OPTIONS, where="call", guide=CALLING_GUIDE
            )
