"""The shop project package.

Importing the Celery app here makes sure it is loaded when Django starts, so
that ``@shared_task`` binds to it.
"""

from __future__ import annotations

from .celery import app as celery_app

__all__ = ("celery_app",)
