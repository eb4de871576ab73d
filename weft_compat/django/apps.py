"""The `weft_compat.django` app: autodiscovers `tasks.py` modules, as Celery does, and
registers the system checks (`checks`)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class WeftCompatConfig(AppConfig):
    """Imports every installed app's `tasks` module, so tasks register by name at startup."""

    name = "weft_compat.django"
    label = "weft_compat"
    verbose_name = "Weft compat"

    def ready(self) -> None:
        from weft_compat.django import checks  # noqa: F401 (registers the system checks)
        from weft_compat.django.conf import get_settings

        if get_settings().AUTODISCOVER:
            autodiscover_modules("tasks")
