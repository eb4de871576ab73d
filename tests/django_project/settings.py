"""Settings for the test project: SQLite, plus PostgreSQL as "other" when it listens."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "weft-compat-tests"
DEBUG = True
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "weft_compat.django",
    "tests.django_project.testapp",
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("WEFT_COMPAT_TEST_SQLITE", str(BASE_DIR / "test.sqlite3")),
        "TEST": {"NAME": os.environ.get("WEFT_COMPAT_TEST_SQLITE_TEST")},
    },
}


def _postgres_listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


# A second database on the machine's PostgreSQL, for the multi-database on_commit tests;
# tests that use it skip (or fail, under WEFT_COMPAT_REQUIRE_SERVICES=1) without it.
POSTGRES_HOST = os.environ.get("WEFT_COMPAT_TEST_PG_HOST", "127.0.0.1")
if _postgres_listening(POSTGRES_HOST, 5432):
    DATABASES["other"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("WEFT_COMPAT_TEST_PG_NAME", "test"),
        "USER": os.environ.get("WEFT_COMPAT_TEST_PG_USER", "postgres"),
        "HOST": POSTGRES_HOST,
        "PORT": 5432,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "tests.django_project.urls"
# The operator pages' templates ship in weft_compat.django's `templates/`.
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
# The live server (pytest-django's `live_server`) serves the apps' static files here,
# the progress widget among them.
STATIC_URL = "static/"

WEFT_COMPAT: dict[str, object] = {}

# `django.tasks` backends (Django 6+; an unused setting before): Django's default, and
# weft_compat's for tests/tasks_backend, whose tasks name it; workers read it too.
TASKS = {
    "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    "weft": {
        "BACKEND": "weft_compat.django.backend.WeftTaskBackend",
        "QUEUES": ["default", "isolated"],
        "OPTIONS": {"LANE": "pooled", "QUEUE_MAP": {"isolated": {"lane": "isolated"}}},
    },
}
