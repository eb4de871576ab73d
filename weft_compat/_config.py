"""Runtime settings: the validated `WEFT_COMPAT` dict, wherever it comes from.

In a Django project the settings are `settings.WEFT_COMPAT` (read through
`weft_compat.django.conf`, and only when Django is already imported and configured,
so the core never imports Django itself). Elsewhere `weft_compat.configure(...)` sets
them for the process, and the environment supplies what it does not:
`WEFT_COMPAT_CONTEXT` (the Weft context directory), `WEFT_COMPAT_QUEUES` (the
`QUEUES` setting as JSON) and `WEFT_COMPAT_IMPORTS` (the `IMPORTS` setting, module
names separated by commas).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from weft_compat.exceptions import InvalidOptionValue

__all__ = [
    "CONTEXT_ENV_VAR",
    "DEFAULT_PREFETCH_MULTIPLIER",
    "IMPORTS_ENV_VAR",
    "QUEUES_ENV_VAR",
    "QueueConfig",
    "Settings",
    "configure",
    "current_settings",
]

CONTEXT_ENV_VAR = "WEFT_COMPAT_CONTEXT"
QUEUES_ENV_VAR = "WEFT_COMPAT_QUEUES"
IMPORTS_ENV_VAR = "WEFT_COMPAT_IMPORTS"

Lane = Literal["pooled", "isolated"]
QueueName = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
]
ModuleName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]


@functools.cache
def _default_concurrency() -> int:
    # Celery's default: one pool process per CPU.
    return os.cpu_count() or 1


# Celery's `worker_prefetch_multiplier` default: each pool process claims up to 4 calls.
DEFAULT_PREFETCH_MULTIPLIER = 4


class QueueConfig(BaseModel):
    """How the calls of one queue run: the lane, and for the pooled lane how many at once
    and how many calls each pool process may claim ahead of the one it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lane: Lane = "pooled"
    concurrency: Annotated[int, Field(ge=1, le=256)] = Field(default_factory=_default_concurrency)
    prefetch_multiplier: Annotated[int, Field(ge=1, le=1000)] = DEFAULT_PREFETCH_MULTIPLIER


class Settings(BaseModel):
    """The keys of `WEFT_COMPAT`; unknown keys are refused, so typos surface."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CONTEXT: Annotated[str, Field(min_length=1)] | None = None
    TEST_MODE: Literal["immediate", "recording"] | None = None
    DEFAULT_TIMEOUT: Annotated[float, Field(gt=0)] | None = None
    DEFAULT_SOFT_TIME_LIMIT: Annotated[float, Field(gt=0)] | None = None
    AUTODISCOVER: bool = True
    DEFAULT_QUEUE: QueueName = "default"
    QUEUES: dict[QueueName, QueueConfig] = Field(default_factory=dict)
    # Modules every worker imports at start (Celery's `imports` / `include`).
    IMPORTS: tuple[ModuleName, ...] = ()

    @field_validator("CONTEXT", mode="before")
    @classmethod
    def _path(cls, value: Any) -> Any:
        # `BASE_DIR` is a `pathlib.Path` in every current Django project.
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    def queue_config(self, queue: str | None) -> tuple[str, QueueConfig]:
        """The queue a call goes to (its own, else `DEFAULT_QUEUE`) and that queue's config."""
        name = queue or self.DEFAULT_QUEUE
        return name, self.QUEUES.get(name) or QueueConfig()


_configured: Settings | None = None
_environment: dict[tuple[str | None, str | None, str], Settings] = {}


def configure(**settings: Any) -> None:
    """Set the `WEFT_COMPAT` keys for this process when Django is not used.

    Takes the same keys as Django's `settings.WEFT_COMPAT`, e.g.
    `configure(QUEUES={"reports": {"lane": "isolated"}})`; call it once at start-up.
    """
    global _configured
    _configured = validate_settings(settings, where="configure")


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
        fix = (
            f"known keys are {', '.join(sorted(Settings.model_fields))}"
            if error["type"] == "extra_forbidden" and len(error["loc"]) == 1
            else str(error["msg"])
        )
        raise error_class(f"{where}[{key!r}] = {value!r} is invalid: {fix}") from None


def _environment_settings() -> Settings:
    # One object per value of the variables, so callers can cache on its identity.
    context = os.environ.get(CONTEXT_ENV_VAR) or None
    queues = os.environ.get(QUEUES_ENV_VAR) or None
    imports = os.environ.get(IMPORTS_ENV_VAR) or ""
    settings = _environment.get((context, queues, imports))
    if settings is None:
        raw: dict[str, Any] = {"CONTEXT": context}
        if imports:
            raw["IMPORTS"] = [name.strip() for name in imports.split(",") if name.strip()]
        if queues is not None:
            try:
                raw["QUEUES"] = json.loads(queues)
            except ValueError:
                raise InvalidOptionValue(
                    f"{QUEUES_ENV_VAR}={queues!r} is not JSON; set it to a JSON object such "
                    'as {"default": {"lane": "pooled", "concurrency": 2}}'
                ) from None
        built = validate_settings(raw, where="environment")
        settings = _environment.setdefault((context, queues, imports), built)
    return settings


def current_settings() -> Settings:
    """The settings in force: Django's, else `configure()`'s, else the environment's."""
    django_conf = sys.modules.get("django.conf")
    if django_conf is not None and django_conf.settings.configured:
        from weft_compat.django.conf import get_settings

        return get_settings()
    if _configured is not None:
        return _configured
    return _environment_settings()


def context_path() -> str | None:
    """The Weft context directory: the setting, then the environment, else Weft's discovery."""
    configured = current_settings().CONTEXT
    return configured or os.environ.get(CONTEXT_ENV_VAR) or None
