"""Task and call options: their values, validated strictly before anything is submitted.

Celery's `@shared_task` copies unknown keyword arguments onto the task class, so a typo
such as `ignore_results=True` is silently ignored. Here every name is either honoured,
accepted with a documented note, or refused at decoration time with the guide section
that explains what to do instead (`_option_names`); this module checks the values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from weft_compat import _serialization
from weft_compat._option_names import DECORATOR_GUIDE, check_call_option_names
from weft_compat._owner import MAX_OWNER_LENGTH, owner_id
from weft_compat.exceptions import InvalidOptionValue, UnsupportedOption

__all__ = ["CallOptions", "TaskConfig", "build_call_options", "build_task_config"]

# Seconds are finite and at most ten years: a longer delay or limit is a unit mistake
# (milliseconds for seconds), and `inf` would leave a call waiting for ever.
MAX_SECONDS: Final = 10 * 365 * 24 * 3600


def _at_most_ten_years(value: float) -> float:
    if value > MAX_SECONDS:
        raise ValueError(
            f"must be at most {MAX_SECONDS} seconds (ten years); for a moment further "
            "ahead pass an aware datetime as eta"
        )
    return value


Seconds = Annotated[float, Field(ge=0), AfterValidator(_at_most_ten_years)]
PositiveSeconds = Annotated[float, Field(gt=0), AfterValidator(_at_most_ten_years)]
# A datetime object only: pydantic would otherwise read a number as a Unix timestamp.
Moment = Annotated[datetime, Strict()]
QueueName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
]


class CallOptions(BaseModel):
    """The options that shape one submission; frozen, so `using()` always copies.

    Values are strict, as Celery's are used: `countdown="10"` or `priority=True` is a
    mistake to report, not a value to coerce.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

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
    countdown: Seconds | None = None
    eta: Moment | None = None
    expires: PositiveSeconds | Moment | None = None
    # Seconds the call's record is kept after it ends (Celery's `result_expires`, which
    # Celery sets app-wide only); 0 keeps it for ever.
    result_expires: Seconds | None = None
    # The user who enqueued the call (a user's `pk`, or an id), as text; by default the
    # current request's user (`_owner`).
    owner: Annotated[str, Field(min_length=1, max_length=MAX_OWNER_LENGTH)] | None = None

    @field_validator("owner", mode="before")
    @classmethod
    def _owner_id(cls, value: Any) -> Any:
        return None if value is None else owner_id(value)

    @field_validator("result_expires", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return value.total_seconds() if isinstance(value, timedelta) else value

    @field_validator("eta", "expires", mode="after")
    @classmethod
    def _aware(cls, value: float | datetime | None) -> float | datetime | None:
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError(
                "a naive datetime has no time zone, so its moment is ambiguous; pass an aware "
                "one such as django.utils.timezone.now() + timedelta(...) or "
                "datetime.now(UTC) + timedelta(...)"
            )
        return value

    @model_validator(mode="after")
    def _limits_agree(self) -> Self:
        if self.countdown is not None and self.eta is not None:
            raise ValueError(
                f"countdown={self.countdown!r} and eta={self.eta!r} both set when the call is "
                "due; pass one of them"
            )
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
            # Both travel as plain JSON (the call's envelope, Weft's TaskSpec), not as
            # kombu's: a datetime there would pass here and fail at submission.
            try:
                json.dumps(getattr(self, field), allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{field} must hold plain JSON values (strings, numbers, booleans, "
                    f"None, lists, dicts): {exc}"
                ) from exc
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
        if "countdown" in changes and "eta" not in changes:
            values.pop("eta", None)
        if "eta" in changes and "countdown" not in changes:
            values.pop("countdown", None)
        return build_call_options(values, task_name=task_name)


ExceptionClasses = tuple[type[BaseException], ...]
RETRY_KWARGS: Final = frozenset({"countdown", "eta", "max_retries"})


class TaskConfig(BaseModel):
    """Decoration-time settings that no call can change, Celery's retry policy among them."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        arbitrary_types_allowed=True,
        strict=True,
        allow_inf_nan=False,
    )

    bind: bool = False
    typing: bool | None = None
    serializer: Literal["json"] = "json"
    acks_late: bool | None = None
    track_started: bool | None = None
    reject_on_worker_lost: bool | None = None
    autoretry_for: ExceptionClasses = ()
    dont_autoretry_for: ExceptionClasses = ()
    max_retries: Annotated[int, Field(ge=0)] | None = 3
    default_retry_delay: Seconds = 180.0
    retry_backoff: bool | Seconds = False
    retry_backoff_max: Seconds = 600.0
    retry_jitter: bool = True
    retry_kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("autoretry_for", "dont_autoretry_for", mode="before")
    @classmethod
    def _exception_classes(cls, value: Any) -> Any:
        # Celery takes any iterable of classes; one bare class is accepted as well.
        if isinstance(value, type):
            value = (value,)
        if not isinstance(value, Iterable) or isinstance(value, str | bytes):
            raise ValueError("must be a tuple of exception classes such as (ConnectionError,)")
        classes = tuple(value)
        for item in classes:
            if not (isinstance(item, type) and issubclass(item, BaseException)):
                raise ValueError(
                    f"{item!r} is not an exception class; pass classes such as (ConnectionError,)"
                )
        return classes

    @field_validator("retry_kwargs", mode="after")
    @classmethod
    def _retry_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - RETRY_KWARGS)
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a retry() argument; use {', '.join(sorted(RETRY_KWARGS))}"
            )
        return value

    @property
    def backoff_factor(self) -> int:
        """Celery's exponential factor: `int(max(1, retry_backoff))`, 0 when off."""
        if not self.retry_backoff:
            return 0
        return int(max(1.0, float(self.retry_backoff)))


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
            f"{root}={_serialization.describe(values.get(root))} is invalid for task "
            f"{task_name!r}: {message}"
        )
    return InvalidOptionValue(f"invalid options for task {task_name!r}: {message}")
