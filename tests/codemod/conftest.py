"""Fixtures for codemod tests: a small Celery project on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = {
    "proj/__init__.py": "from .celery import app as celery_app\n\n__all__ = ('celery_app',)\n",
    "proj/celery.py": (
        "from celery import Celery\n\napp = Celery('proj')\napp.autodiscover_tasks()\n"
    ),
    "proj/tasks.py": (
        "from celery import shared_task\n\n\n@shared_task\ndef send(pk):\n    return pk\n"
    ),
    "proj/views.py": (
        "from django.db import transaction\n\nfrom .tasks import send\n\n\n"
        "def view(pk):\n    transaction.on_commit(lambda: send.delay(pk))\n"
        "    return send.delay(pk).id\n"
    ),
    "proj/plain.py": "def add(x, y):\n    return x + y\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Celery project with an app module, tasks, a view and a file without Celery."""
    for name, source in PROJECT.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path
