"""Runtime settings: the validated `WEFT_COMPAT` dict, wherever it comes from.

In a Django project the settings are `settings.WEFT_COMPAT` (read through
`weft_compat.django.conf`, and only when Django is already imported and configured,
so the core never imports Django itself). Elsewhere the environment supplies the
Weft context (`WEFT_COMPAT_CONTEXT`) and everything else keeps its default.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CONTEXT_ENV_VAR", "Settings", "current_settings"]

CONTEXT_ENV_VAR = "WEFT_COMPAT_CONTEXT"


class Settings(BaseModel):
    """The keys of `WEFT_COMPAT`; unknown keys are refused, so typos surface."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    CONTEXT: Annotated[str, Field(min_length=1)] | None = None
    TEST_MODE: Literal["immediate", "recording"] | None = None
    DEFAULT_TIMEOUT: Annotated[float, Field(gt=0)] | None = None
    DEFAULT_SOFT_TIME_LIMIT: Annotated[float, Field(gt=0)] | None = None
    AUTODISCOVER: bool = True


_environment: dict[str | None, Settings] = {}


def _environment_settings() -> Settings:
    # One object per value of the variable, so callers can cache on its identity.
    context = os.environ.get(CONTEXT_ENV_VAR) or None
    settings = _environment.get(context)
    if settings is None:
        settings = _environment.setdefault(context, Settings(CONTEXT=context))
    return settings


def current_settings() -> Settings:
    """Return the settings in force now (Django's if configured, else the environment's)."""
    django_conf = sys.modules.get("django.conf")
    if django_conf is not None and django_conf.settings.configured:
        from weft_compat.django.conf import get_settings

        return get_settings()
    return _environment_settings()


def context_path() -> str | None:
    """The Weft context directory: the setting, then the environment, else Weft's discovery."""
    configured = current_settings().CONTEXT
    return configured or os.environ.get(CONTEXT_ENV_VAR) or None
