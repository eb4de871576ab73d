"""Runtime settings: the validated `WEFT_COMPAT` dict, wherever it comes from.

In a Django project the settings are `settings.WEFT_COMPAT` (read through
`weft_compat.django.conf`, and only when Django is already imported and configured,
so the core never imports Django itself). Elsewhere `weft_compat.configure(...)` sets
them for the process, and the environment supplies what it does not:
`WEFT_COMPAT_CONTEXT` (the Weft context directory), `WEFT_COMPAT_QUEUES` (the
`QUEUES` setting as JSON), `WEFT_COMPAT_IMPORTS` (the `IMPORTS` setting, module
names separated by commas), `WEFT_COMPAT_CONTEXT_MODE` (`CONTEXT_MODE` in octal) and
`WEFT_COMPAT_IDLE_TIMEOUT` and `WEFT_COMPAT_RESULT_EXPIRES` (seconds),
`WEFT_COMPAT_RESULT_EXTENDED` (`1` or `0`), `WEFT_COMPAT_BROKER` and
`WEFT_COMPAT_BROKER_SCHEMA` (PostgreSQL).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from weft_compat.exceptions import InvalidOptionValue

__all__ = [
    "BROKER_ENV_VAR",
    "BROKER_SCHEMA_ENV_VAR",
    "CONTEXT_ENV_VAR",
    "CONTEXT_MODE_ENV_VAR",
    "DEFAULT_CONTEXT_MODE",
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_PREFETCH_MULTIPLIER",
    "DEFAULT_RESULT_EXPIRES",
    "IDLE_TIMEOUT_ENV_VAR",
    "IMPORTS_ENV_VAR",
    "QUEUES_ENV_VAR",
    "RESULT_EXPIRES_ENV_VAR",
    "RESULT_EXTENDED_ENV_VAR",
    "QueueConfig",
    "Settings",
    "configure",
    "current_settings",
    "settings_environment",
    "without_password",
]

CONTEXT_ENV_VAR = "WEFT_COMPAT_CONTEXT"
QUEUES_ENV_VAR = "WEFT_COMPAT_QUEUES"
IMPORTS_ENV_VAR = "WEFT_COMPAT_IMPORTS"
CONTEXT_MODE_ENV_VAR = "WEFT_COMPAT_CONTEXT_MODE"
IDLE_TIMEOUT_ENV_VAR = "WEFT_COMPAT_IDLE_TIMEOUT"
BROKER_ENV_VAR = "WEFT_COMPAT_BROKER"
BROKER_SCHEMA_ENV_VAR = "WEFT_COMPAT_BROKER_SCHEMA"
RESULT_EXPIRES_ENV_VAR = "WEFT_COMPAT_RESULT_EXPIRES"
RESULT_EXTENDED_ENV_VAR = "WEFT_COMPAT_RESULT_EXTENDED"
# Celery's `result_expires` default: a day.
DEFAULT_RESULT_EXPIRES: Final = 24 * 3600.0
# How long a pool or mover started on demand waits without work before it leaves.
DEFAULT_IDLE_TIMEOUT: Final = 300.0
# The context directory holds every call's arguments and results: its owner's only.
DEFAULT_CONTEXT_MODE: Final = 0o700

Lane = Literal["pooled", "isolated"]
QueueName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
]
ModuleName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]


def _owner_has_access(mode: int) -> int:
    if not 0o700 <= mode <= 0o777:
        raise ValueError(
            f"must be a directory mode from 0o700 to 0o777 that lets its owner in, such as "
            f"0o700 or 0o750, not {mode:#o}"
        )
    return mode


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone; use an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from None
    return name


@functools.cache
def _default_concurrency() -> int:
    # Celery's default: one pool process per CPU.
    return os.cpu_count() or 1


# Celery's `worker_prefetch_multiplier` default: each pool process claims up to 4 calls.
DEFAULT_PREFETCH_MULTIPLIER = 4


class QueueConfig(BaseModel):
    """How the calls of one queue run: the lane, and for the pooled lane how many at once
    and how many calls each pool process may claim ahead of the one it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    lane: Lane = "pooled"
    concurrency: Annotated[int, Field(ge=1, le=256)] = Field(default_factory=_default_concurrency)
    prefetch_multiplier: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_PREFETCH_MULTIPLIER


@functools.cache
def _default_queue() -> QueueConfig:
    # A queue the settings do not list; built once (every enqueue asks for it).
    return QueueConfig()


class Settings(BaseModel):
    """The keys of `WEFT_COMPAT`; unknown keys are refused, so typos surface, and values
    are strict (`"DEFAULT_TIMEOUT": "60"` is refused, not read as a number)."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    CONTEXT: Annotated[str, Field(min_length=1)] | None = None
    # Weft's PostgreSQL backend instead of its SQLite one: a `postgresql://` DSN (the
    # password may come from WEFT_BACKEND_PASSWORD instead), and the schema its tables
    # live in. Every process of a deployment names the same.
    BROKER: Annotated[str, Field(pattern=r"^postgres(ql)?://")] | None = None
    BROKER_SCHEMA: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")] = "weft"
    # The permissions of the context directory (`.weft/`), e.g. 0o750 when web and
    # worker processes run as different users of one group.
    CONTEXT_MODE: Annotated[int, AfterValidator(_owner_has_access)] = DEFAULT_CONTEXT_MODE
    TEST_MODE: Literal["immediate", "recording"] | None = None
    DEFAULT_TIMEOUT: Annotated[float, Field(gt=0)] | None = None
    DEFAULT_SOFT_TIME_LIMIT: Annotated[float, Field(gt=0)] | None = None
    AUTODISCOVER: bool = True
    DEFAULT_QUEUE: QueueName = "default"
    QUEUES: dict[QueueName, QueueConfig] = Field(default_factory=dict)
    # Seconds a call's record (outcome, progress) is kept after it ended (0: for ever).
    RESULT_EXPIRES: Annotated[float, Field(ge=0)] = DEFAULT_RESULT_EXPIRES
    # Whether workers also store each call's arguments, queue, lane, host and start time
    # with its outcome (Celery's `result_extended`, off by default as there).
    RESULT_EXTENDED: bool = False
    # Seconds a pool or mover started on demand stays without work (0: until stopped).
    IDLE_TIMEOUT: Annotated[float, Field(ge=0)] = DEFAULT_IDLE_TIMEOUT
    # The default base class of function tasks (Celery's `task_cls`), a dotted path.
    TASK_CLASS: Annotated[str, Field(min_length=1)] | None = None
    # Modules every worker imports at start (Celery's `imports` / `include`).
    IMPORTS: Annotated[tuple[ModuleName, ...], Field(strict=False)] = ()
    # Who may read or revoke a call through the task URLs (`weft_compat.django.urls`):
    # the dotted path of a `(request, submission, action) -> bool` callable. Unset, the
    # URLs refuse every request.
    AUTHORIZE: Annotated[str, Field(pattern=r"^[A-Za-z_][\w.]*[.:][A-Za-z_]\w*$")] | None = None
    # Periodic tasks, in Celery's `beat_schedule` shape (`weft_compat.beat`), and the
    # time zone their crontabs are read in (Celery's `timezone`).
    BEAT_SCHEDULE: Annotated[dict[str, Any], Field(strict=False)] = Field(default_factory=dict)
    TIMEZONE: Annotated[str, AfterValidator(_time_zone)] = "UTC"

    @field_validator("RESULT_EXPIRES", mode="before")
    @classmethod
    def _timedelta(cls, value: Any) -> Any:
        # Celery's `result_expires` takes seconds or a timedelta.
        return value.total_seconds() if isinstance(value, timedelta) else value

    @field_validator("CONTEXT", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        # `BASE_DIR` is a `pathlib.Path` in every current Django project.
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def queue_config(self, queue: str | None) -> tuple[str, QueueConfig]:
        """The queue a call goes to (its own, else `DEFAULT_QUEUE`) and that queue's config."""
        name = queue or self.DEFAULT_QUEUE
        return name, self.QUEUES.get(name) or _default_queue()


_configured: Settings | None = None
_environment: dict[tuple[str | None, ...], Settings] = {}


def configure(**settings: Any) -> None:
    """Set the `WEFT_COMPAT` keys for this process when Django is not used.

    Takes the same keys as Django's `settings.WEFT_COMPAT`, e.g.
    `configure(QUEUES={"reports": {"lane": "isolated"}})`; call it once at start-up.
    """
    global _configured
    _configured = validate_settings(settings, where="configure")


def without_password(dsn: str) -> str:
    """`dsn` with its password left out, for messages and logs (and Weft's target)."""
    try:
        parts = urlsplit(dsn)
        if parts.password is None:
            return dsn
    except ValueError:  # Not a URL at all: drop whatever sits between ':' and '@'.
        return re.sub(r"^([^:/@]*://[^:/@]*):[^@]*@", r"\1@", dsn)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{hostport}" if user else hostport))


def validate_settings(
    raw: dict[str, Any], *, where: str, error_class: type[Exception] = InvalidOptionValue
) -> Settings:
    """Validate a settings dict, turning pydantic's report into one sentence."""
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        value = raw.get(str(error["loc"][0])) if error["loc"] else raw
        if key == "BROKER" and isinstance(value, str):
            value = without_password(value)
        fix = (
            f"known keys are {', '.join(sorted(Settings.model_fields))}"
            if error["type"] == "extra_forbidden" and len(error["loc"]) == 1
            else str(error["msg"])
        )
        raise error_class(f"{where}[{key!r}] = {value!r} is invalid: {fix}") from None


def _json_object(variable: str, value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        raise InvalidOptionValue(
            f"{variable}={value!r} is not JSON; set it to a JSON object such as "
            '{"default": {"lane": "pooled", "concurrency": 2}}'
        ) from None


def _names(_variable: str, value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _octal(variable: str, value: str) -> int:
    try:
        return int(value, 8)
    except ValueError:
        raise InvalidOptionValue(
            f"{variable}={value!r} is not an octal mode; set it to one such as 700 or 750"
        ) from None


def _seconds(variable: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InvalidOptionValue(
            f"{variable}={value!r} is not a number of seconds; set it to one such as 300"
        ) from None


def _flag(variable: str, value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise InvalidOptionValue(f"{variable}={value!r} is not a flag; set it to 1 or 0")


# Environment variable → (settings key, parser), for processes without Django.
_FROM_ENVIRONMENT: Final[dict[str, tuple[str, Callable[[str, str], Any]]]] = {
    CONTEXT_ENV_VAR: ("CONTEXT", lambda _variable, value: value),
    QUEUES_ENV_VAR: ("QUEUES", _json_object),
    IMPORTS_ENV_VAR: ("IMPORTS", _names),
    CONTEXT_MODE_ENV_VAR: ("CONTEXT_MODE", _octal),
    IDLE_TIMEOUT_ENV_VAR: ("IDLE_TIMEOUT", _seconds),
    RESULT_EXPIRES_ENV_VAR: ("RESULT_EXPIRES", _seconds),
    RESULT_EXTENDED_ENV_VAR: ("RESULT_EXTENDED", _flag),
    BROKER_ENV_VAR: ("BROKER", lambda _variable, value: value),
    BROKER_SCHEMA_ENV_VAR: ("BROKER_SCHEMA", lambda _variable, value: value),
}


# CPython keeps the environment in `os.environ._data` (names and values as bytes), which
# `os.environ` reads through an encode and a decode per lookup: reading it directly makes
# this check, done several times per enqueue, twenty times cheaper.
_RAW_ENVIRONMENT: Final[dict[bytes, bytes] | None] = getattr(os.environ, "_data", None)
_RAW_NAMES: Final = tuple(os.fsencode(variable) for variable in _FROM_ENVIRONMENT)


def _environment_values() -> tuple[str | None, ...]:
    raw = _RAW_ENVIRONMENT
    if raw is None or not isinstance(raw, dict):
        return tuple(os.environ.get(variable) or None for variable in _FROM_ENVIRONMENT)
    found = tuple(raw.get(name) for name in _RAW_NAMES)
    return tuple(os.fsdecode(value) if value else None for value in found)


def _environment_settings() -> Settings:
    # One object per value of the variables, so callers can cache on its identity.
    values = _environment_values()
    settings = _environment.get(values)
    if settings is None:
        raw: dict[str, Any] = {}
        for (variable, (key, parse)), value in zip(_FROM_ENVIRONMENT.items(), values, strict=True):
            if value is not None:
                raw[key] = parse(variable, value)
        built = validate_settings(raw, where="environment")
        settings = _environment.setdefault(values, built)
    return settings


def settings_environment() -> dict[str, str]:
    """The settings in force, as the environment variables that give them to a process
    that reads no Django settings (the pool masters and movers weft_compat starts)."""
    settings = current_settings()
    queues = {name: config.model_dump() for name, config in settings.QUEUES.items()}
    environment = {
        QUEUES_ENV_VAR: json.dumps(queues),
        IMPORTS_ENV_VAR: ",".join(settings.IMPORTS),
        CONTEXT_MODE_ENV_VAR: format(settings.CONTEXT_MODE, "o"),
        IDLE_TIMEOUT_ENV_VAR: repr(settings.IDLE_TIMEOUT),
        RESULT_EXPIRES_ENV_VAR: repr(settings.RESULT_EXPIRES),
        RESULT_EXTENDED_ENV_VAR: "1" if settings.RESULT_EXTENDED else "0",
    }
    context = context_path()
    if context is not None:
        environment[CONTEXT_ENV_VAR] = context
    return environment


def current_settings() -> Settings:
    """The settings in force: Django's, else `configure()`'s, else the environment's."""
    django_conf = sys.modules.get("django.conf")
    if django_conf is not None and django_conf.settings.configured:
        from weft_compat.django.conf import get_settings

        return get_settings()
    if _configured is not None:
        return _configured
    return _environment_settings()


# Weft's broker refuses larger messages (SimpleBroker's default, WEFT_MAX_MESSAGE_SIZE).
DEFAULT_MESSAGE_LIMIT: Final = 10 * 1024 * 1024


def message_limit() -> int:
    """The largest broker message in bytes: `WEFT_MAX_MESSAGE_SIZE`, else Weft's 10 MiB."""
    raw = os.environ.get("WEFT_MAX_MESSAGE_SIZE", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MESSAGE_LIMIT


def context_path(settings: Settings | None = None) -> str | None:
    """The Weft context directory: the setting (of `settings`, default: those in force),
    then the environment, else Weft's discovery."""
    configured = (settings if settings is not None else current_settings()).CONTEXT
    return configured or os.environ.get(CONTEXT_ENV_VAR) or None
