"""App configuration for orders."""

from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        # Connect the Celery signal receivers.
        from . import signals  # noqa: F401
