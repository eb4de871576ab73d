"""Celery signal receivers: keep orders in step with the tasks that work on them."""

from __future__ import annotations

import logging

from celery.signals import task_failure

from .models import Order

logger = logging.getLogger(__name__)


@task_failure.connect
def mark_order_failed(sender=None, task_id=None, exception=None, **kwargs):
    """Flag the order whose task failed for good, so support can follow up."""
    updated = Order.objects.filter(task_id=task_id).update(status=Order.Status.FAILED)
    if updated:
        logger.error("Task %s (%s) failed: %r", task_id, sender.name, exception)
