"""App config of the test app."""

from __future__ import annotations

from django.apps import AppConfig


class TestappConfig(AppConfig):
    name = "tests.django_project.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"
