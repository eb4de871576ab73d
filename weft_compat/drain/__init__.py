"""Cut-over from Celery: drain the task messages still in Redis or RabbitMQ into weft_compat.

`drain` reads Celery's queues with kombu and records each call in weft_compat under its
Celery task id, so `WeftSubmission.from_tid(celery_id)` reads it; what cannot run here
is parked on the Celery broker, intact, and `requeue_parked` puts it back. The console
script is `weft-compat drain` (`weft_compat.drain_command`); the runbook is
migration_guide/cutover.md.
"""

from __future__ import annotations

from weft_compat.drain._drain import DEFAULT_BATCH, DrainOptions, drain
from weft_compat.drain._park import DEFAULT_PARKING_QUEUE, PARKED_HEADER, Parked, requeue_parked
from weft_compat.drain._report import DrainReport
from weft_compat.drain._source import CeleryBroker

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_PARKING_QUEUE",
    "PARKED_HEADER",
    "CeleryBroker",
    "DrainOptions",
    "DrainReport",
    "Parked",
    "drain",
    "requeue_parked",
]
