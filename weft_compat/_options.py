"""Task options: which Celery names weft_compat honours, and their validated values.

Celery's `@shared_task` copies unknown keyword arguments onto the task class, so a typo
such as `ignore_results=True` is silently ignored. Here every name is either honoured,
accepted with a documented note, or refused at decoration time with the guide section
that explains what to do instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from weft_compat import _serialization
from weft_compat.exceptions import InvalidOptionValue, UnsupportedOption

__all__ = [
    "CALL_OPTIONS",
    "DECORATOR_OPTIONS",
    "REFUSED_CALL_OPTIONS",
    "REFUSED_OPTIONS",
    "CallOptions",
    "TaskConfig",
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
    }
    | (CALL_OPTIONS - {"headers", "database"})
)

_NOT_YET = "weft_compat does not {what} yet; remove it and {instead}"
_RETRY = _NOT_YET.format(what="retry tasks", instead="handle the failure in the task")

_DELAYED = _NOT_YET.format(what="delay submission", instead="enqueue when the work is due")
_NO_CANVAS = "canvas parent/child tracking does not exist on Weft; remove it"
_NO_PUBLISH_RETRY = "Weft's submission is durable and needs no publish retries; remove it"

# Celery decorator option → why it is refused (a section of the decorator guide page).
REFUSED_OPTIONS: Final[Mapping[str, str]] = {
    "autoretry_for": _RETRY,
    "dont_autoretry_for": _RETRY,
    "max_retries": _RETRY,
    "default_retry_delay": _RETRY,
    "retry_backoff": _RETRY,
    "retry_backoff_max": _RETRY,
    "retry_jitter": _RETRY,
    "retry_kwargs": _RETRY,
    "expires": _NOT_YET.format(what="expire queued work", instead="check the age in the task"),
    "rate_limit": "Weft has no rate limiting; remove it or throttle inside the task",
    "base": "custom Task base classes do not carry over; move the hooks into the function",
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
    "countdown": _DELAYED,
    "eta": _DELAYED,
    "expires": REFUSED_OPTIONS["expires"],
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


PositiveSeconds = Annotated[float, Field(gt=0)]
QueueName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
]


class CallOptions(BaseModel):
    """The options that shape one submission; frozen, so `using()` always copies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: PositiveSeconds | None = None
    soft_time_limit: PositiveSeconds | None = None
    timeout: PositiveSeconds | None = None
    memory_mb: Annotated[int, Field(ge=1)] | None = None
    cpu_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, Any] = Field(default_factory=dict)
    queue: QueueName | None = None
    priority: Annotated[int, Field(ge=0, le=255)] | None = None
    ignore_result: bool = False
    database: Annotated[str, Field(min_length=1)] | None = None
    lane: Literal["pooled", "isolated"] | None = None

    @model_validator(mode="after")
    def _limits_agree(self) -> Self:
        if (
            self.time_limit is not None
            and self.timeout is not None
            and self.time_limit != self.timeout
        ):
            raise ValueError(
                f"time_limit={self.time_limit!r} and timeout={self.timeout!r} both set the "
                "hard limit; pass one of them"
            )
        hard = self.hard_limit
        if hard is not None and self.soft_time_limit is not None and self.soft_time_limit >= hard:
            raise ValueError(
                f"soft_time_limit={self.soft_time_limit!r} must be below the hard limit "
                f"{hard!r}, or the task is ended before it can react"
            )
        if self.lane == "pooled" and (self.memory_mb or self.cpu_percent):
            raise ValueError(
                "memory_mb and cpu_percent limit one call's own process, which only the "
                "isolated lane has; drop lane='pooled' or the limits"
            )
        for field in ("metadata", "headers"):
            try:
                _serialization.encode(getattr(self, field))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{field} must hold JSON values: {exc}") from exc
        return self

    @property
    def hard_limit(self) -> float | None:
        """The hard limit in seconds: Celery's `time_limit` or Weft's `timeout`."""
        return self.time_limit if self.time_limit is not None else self.timeout

    def merged(self, changes: Mapping[str, Any], *, task_name: str) -> CallOptions:
        """Return a copy with `changes` applied (metadata and headers merge key by key)."""
        check_call_option_names(changes)
        values = self.model_dump(exclude_defaults=True)
        for key, value in changes.items():
            if key in {"metadata", "headers"} and isinstance(value, Mapping):
                values[key] = {**values.get(key, {}), **value}
            else:
                values[key] = value
        if "timeout" in changes and "time_limit" not in changes:
            values.pop("time_limit", None)
        if "time_limit" in changes and "timeout" not in changes:
            values.pop("timeout", None)
        return build_call_options(values, task_name=task_name)


class TaskConfig(BaseModel):
    """Decoration-time settings that no call can change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bind: bool = False
    typing: bool | None = None
    serializer: Literal["json"] = "json"
    acks_late: bool | None = None
    track_started: bool | None = None
    reject_on_worker_lost: bool | None = None


def build_call_options(values: Mapping[str, Any], *, task_name: str) -> CallOptions:
    """Validate call options, turning pydantic's report into one clear sentence."""
    try:
        return CallOptions.model_validate(dict(values))
    except ValidationError as exc:
        raise _invalid(exc, values, task_name) from None


def build_task_config(values: Mapping[str, Any], *, task_name: str) -> TaskConfig:
    """Validate decoration-only settings, with the same error style as call options."""
    try:
        return TaskConfig.model_validate(dict(values))
    except ValidationError as exc:
        if any(error["loc"] == ("serializer",) for error in exc.errors()):
            raise UnsupportedOption(
                f"serializer={values.get('serializer')!r} is not supported for {task_name!r}: "
                f"weft_compat only speaks JSON and never pickle (see "
                f"{DECORATOR_GUIDE}#serializer)"
            ) from None
        raise _invalid(exc, values, task_name) from None


def _invalid(exc: ValidationError, values: Mapping[str, Any], task_name: str) -> InvalidOptionValue:
    error = exc.errors()[0]
    location = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if location:
        root = str(error["loc"][0])
        return InvalidOptionValue(
            f"{root}={values.get(root)!r} is invalid for task {task_name!r}: {message}"
        )
    return InvalidOptionValue(f"invalid options for task {task_name!r}: {message}")
