"""The environment variables through which a round tells a system's app its broker and files.

Both sides read these names: the system module that starts a round sets them, and the
app module that the workers and the client import reads them.
"""

from __future__ import annotations

from typing import Final

HUEY_DATABASE: Final = "WEFT_COMPAT_BENCH_HUEY_DB"
DRAMATIQ_REDIS_URL: Final = "WEFT_COMPAT_BENCH_DRAMATIQ_REDIS"
DRAMATIQ_QUEUE: Final = "WEFT_COMPAT_BENCH_DRAMATIQ_QUEUE"
CELERY_BROKER: Final = "WEFT_COMPAT_BENCH_CELERY_BROKER"
CELERY_BACKEND: Final = "WEFT_COMPAT_BENCH_CELERY_BACKEND"
CELERY_QUEUE: Final = "WEFT_COMPAT_BENCH_CELERY_QUEUE"
CELERY_ACKS_LATE: Final = "WEFT_COMPAT_BENCH_CELERY_ACKS_LATE"
DJANGO_DATABASE: Final = "WEFT_COMPAT_BENCH_DJANGO_DB"
WEFT_CONTEXT: Final = "WEFT_COMPAT_CONTEXT"  # weft_compat's own setting
