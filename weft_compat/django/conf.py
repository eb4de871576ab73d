"""`settings.WEFT_COMPAT`, validated once and re-read when tests override settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from pydantic import ValidationError

from weft_compat._config import Settings
from weft_compat.exceptions import WeftCompatError

__all__ = ["WeftCompatImproperlyConfigured", "get_settings"]


class WeftCompatImproperlyConfigured(WeftCompatError, ImproperlyConfigured):
    """`settings.WEFT_COMPAT` holds a key or value weft_compat cannot use."""


@cache
def get_settings() -> Settings:
    """The validated `WEFT_COMPAT` setting."""
    raw: Any = getattr(settings, "WEFT_COMPAT", None) or {}
    if not isinstance(raw, dict):
        raise WeftCompatImproperlyConfigured(
            f"WEFT_COMPAT must be a dict such as {{'CONTEXT': '/srv/app'}}, not {raw!r}"
        )
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        value = raw.get(str(error["loc"][0])) if error["loc"] else raw
        fix = (
            f"known keys are {', '.join(sorted(Settings.model_fields))}"
            if error["type"] == "extra_forbidden"
            else str(error["msg"])
        )
        raise WeftCompatImproperlyConfigured(
            f"WEFT_COMPAT[{key!r}] = {value!r} is invalid: {fix}"
        ) from None


@receiver(setting_changed)
def _settings_changed(*, setting: str, **_kwargs: Any) -> None:
    if setting == "WEFT_COMPAT":
        get_settings.cache_clear()
