"""Django settings for `benchmarks.runtimes`' db_worker system: django-tasks-db on SQLite.

The database file comes from the environment (set per round). It runs in WAL mode with
`synchronous=FULL`, as the pooled lane's and Huey's SQLite files do, so the three
SQLite systems sync alike; Django's own default journal (DELETE) would only add lock
waits between the two workers and the client.
"""

from __future__ import annotations

import os

from benchmarks._systems import _env

SECRET_KEY = "weft-compat-benchmark"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django_tasks_db"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ[_env.DJANGO_DATABASE],
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL",
            "timeout": 20,
        },
    }
}
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
