"""Django inside a worker process: set up once, and fresh connections around each call.

Celery's worker closes connections that are unusable or past `CONN_MAX_AGE` before and
after every task; a call here does the same, so a long-lived process never reuses a
connection the database has dropped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import django
from django.apps import apps
from django.db import close_old_connections

__all__ = ["django_call", "setup_django"]


def setup_django(settings_module: str) -> None:
    """Set Django up for `settings_module`, once per process (the apps' tasks register)."""
    # The worker's settings win over whatever the Weft manager's environment carried:
    # the manager may have been started by another project's process.
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    if not apps.ready:
        django.setup()


@contextmanager
def django_call(settings_module: str) -> Iterator[None]:
    """Set Django up for `settings_module` (once per process) around one call."""
    setup_django(settings_module)
    close_old_connections()
    try:
        yield
    finally:
        close_old_connections()
