"""The trivial task as a Django 6 `django.tasks` task, for the db_worker system."""

from __future__ import annotations

from django.tasks import task


@task()
def add(x: int, y: int) -> int:
    """Add two numbers: the body every system in the benchmark runs."""
    return x + y
