"""Generate a Django + Celery project shaped like the ones the codemod is meant for.

Each app has a tasks module (plain, bound, time-limited and retrying tasks), views that
dispatch them (``delay``, ``apply_async``, ``on_commit``, ``AsyncResult``), tests that
patch them, and the ordinary modules that never mention Celery (models, forms, utils,
admin), in roughly the proportions found in real projects.
"""

from __future__ import annotations

from pathlib import Path

TASKS = '''"""Background work for {app}."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from project.celery import app

logger = logging.getLogger(__name__)

{tasks}
'''
TASK = '''

@shared_task{options}
def {name}(item_id: int, retry: bool = False) -> int:
    """Process one {name} item."""
    try:
        logger.info("processing %s", item_id)
        total = sum(range(item_id % 97))
    except SoftTimeLimitExceeded:
        logger.warning("ran out of time on %s", item_id)
        total = -1
    return total


@app.task(bind=True, time_limit=60)
def {name}_bound(self, item_id: int) -> str:
    logger.info("task %s attempt %s", self.request.id, self.request.retries)
    return str(item_id)
'''
OPTIONS = ["", "(ignore_result=True)", "(time_limit=30, soft_time_limit=20)",
           "(bind=False, max_retries=3)", "(queue='slow')"]  # fmt: skip
VIEWS = '''"""Views for {app}."""

from __future__ import annotations

from celery.result import AsyncResult
from django.db import transaction
from django.http import JsonResponse

from .tasks import {imports}

{views}
'''
VIEW = """

def start_{name}(request, pk):
    with transaction.atomic():
        transaction.on_commit(lambda: {name}.delay(pk))
    result = {name}.apply_async(args=[pk], kwargs={{"retry": True}}, queue="fast")
    later = {name}.apply_async((pk,), countdown=30)
    return JsonResponse({{"id": result.id, "later": later.id}})


def status_{name}(request, task_id):
    result = AsyncResult(task_id)
    payload = {{"state": result.status, "ready": result.ready()}}
    if result.successful():
        payload["value"] = result.get(timeout=1)
    return JsonResponse(payload)
"""
TESTS = '''"""Tests for {app}."""

from unittest import mock

from django.test import TestCase, override_settings

from .tasks import {first}


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
class {klass}Tests(TestCase):
    @mock.patch("{app}.tasks.{first}.delay")
    def test_dispatch(self, delay):
        {first}.delay(1)
        delay.assert_called_once_with(1)

    def test_eager(self):
        self.assertEqual({first}.delay(3).get(), 3)
'''
PLAIN = '''"""{kind} for {app}."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class {klass}{kind}Record:
    identifier: int
    label: str
    weight: float = 1.0

    def score(self, factor: float) -> float:
        """A weighted score, clamped to the unit interval."""
        value = self.weight * factor
        return max(0.0, min(1.0, value))

'''
PLAIN_FUNCTION = '''

def {kind_lower}_helper_{number}(values: list[int], offset: int = {number}) -> list[int]:
    """Shift every value by the offset and drop negatives."""
    shifted = [value + offset for value in values]
    return [value for value in shifted if value >= 0]
'''
CELERY_APP = """from celery import Celery

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""
SETTINGS = """DEBUG = False
CELERY_BROKER_URL = "redis://localhost:6379/0"
CELERY_RESULT_BACKEND = "redis://localhost:6379/1"
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_ALWAYS_EAGER = False
"""


def generate(root: Path, apps: int = 40, tasks_per_app: int = 5) -> int:
    """Write the project under ``root``; returns the number of lines written."""
    files: dict[str, str] = {
        "project/__init__.py": "from .celery import app as celery_app\n",
        "project/celery.py": CELERY_APP,
        "project/settings.py": SETTINGS,
    }
    for number in range(apps):
        app = f"app{number}"
        names = [f"{app}_job{index}" for index in range(tasks_per_app)]
        tasks = "".join(
            TASK.format(name=name, options=OPTIONS[index % len(OPTIONS)])
            for index, name in enumerate(names)
        )
        files[f"{app}/__init__.py"] = ""
        files[f"{app}/tasks.py"] = TASKS.format(app=app, tasks=tasks)
        files[f"{app}/views.py"] = VIEWS.format(
            app=app, imports=", ".join(names), views="".join(VIEW.format(name=n) for n in names)
        )
        files[f"{app}/tests.py"] = TESTS.format(app=app, first=names[0], klass=app.title())
        for kind in ("Models", "Forms", "Utils", "Admin", "Serializers"):
            body = PLAIN.format(kind=kind, app=app, klass=app.title())
            body += "".join(
                PLAIN_FUNCTION.format(kind_lower=kind.lower(), number=n) for n in range(12)
            )
            files[f"{app}/{kind.lower()}.py"] = body
    lines = 0
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        lines += source.count("\n")
    return lines
