"""The Celery application for the shop project."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")

# All Celery settings live in Django's settings with a ``CELERY_`` prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")

# Load ``tasks.py`` from every installed app.
app.autodiscover_tasks()


@app.task(bind=True, ignore_result=True)
def debug_task(self):
    print(f"Request: {self.request!r}")
