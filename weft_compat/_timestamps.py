"""When a call happened: its creation moment read from its id, and times as ISO 8601.

weft_compat's call ids and Weft's tids are SimpleBroker hybrid timestamps: nanoseconds
since the Unix epoch in the high bits, a 12-bit logical counter in the low ones (see
`simplebroker._timestamp`), so an id says when it was made to within 4 µs. Celery's
UUID ids say nothing of the kind.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

__all__ = ["created_at", "iso"]

# SimpleBroker's `LOGICAL_COUNTER_BITS`; its private module is not imported for one number.
_COUNTER_MASK: Final = (1 << 12) - 1
_NS_PER_SECOND: Final = 1_000_000_000


def created_at(call_id: str) -> float | None:
    """When the call `call_id` was made (Unix seconds); None for an id that is no
    hybrid timestamp, such as a Celery UUID."""
    if len(call_id) != 19 or not call_id.isdigit():
        return None
    return (int(call_id) & ~_COUNTER_MASK) / _NS_PER_SECOND


def iso(seconds: float | None) -> str | None:
    """Unix seconds as ISO 8601 in UTC (`2024-05-17T12:30:01.000250+00:00`), or None."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()
