"""Tasks the drain tests' Celery messages name (imported by name in the pool processes)."""

from __future__ import annotations

import os
import time
from typing import Any

from weft_compat import weft_task


@weft_task(bind=True, name="drain.noted")
def noted(self: Any, path: str, *values: Any, **named: Any) -> dict[str, Any]:
    """Append this call's id and start time to `path`; return what it received."""
    line = f"{self.request.id} {time.time():.6f}\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)
    return {
        "values": list(values),
        "named": named,
        "types": [type(value).__name__ for value in values],
        "retries": self.request.retries,
    }


@weft_task(name="drain.add")
def add(x: int, y: int) -> int:
    return x + y
