"""The test project's settings with `WeftTaskBackend` as the default `django.tasks`
backend: what the workers that run Django's own tasks tests load."""

from __future__ import annotations

from tests.django_project.settings import *  # noqa: F403
from tests.django_project.settings import TASKS as PROJECT_TASKS

TASKS = {
    **PROJECT_TASKS,
    "default": {"BACKEND": "weft_compat.django.backend.WeftTaskBackend", "QUEUES": []},
}
