"""`settings.WEFT_COMPAT`, validated once and re-read when tests override settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from weft_compat._config import Settings, validate_settings
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
    return validate_settings(raw, where="WEFT_COMPAT", error_class=WeftCompatImproperlyConfigured)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **_kwargs: Any) -> None:
    if setting == "WEFT_COMPAT":
        get_settings.cache_clear()
