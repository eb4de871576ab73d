"""Weft lifecycle status → Celery-style state strings.

Views written for Celery compare `state` with these strings, so they are kept
verbatim. `UNKNOWN` is the one addition: Celery reports an id it never saw as
`PENDING`, which hides typos and expired results; weft_compat says so instead.
"""

from __future__ import annotations

from typing import Final

PENDING: Final = "PENDING"
RECEIVED: Final = "RECEIVED"
STARTED: Final = "STARTED"
SUCCESS: Final = "SUCCESS"
FAILURE: Final = "FAILURE"
REVOKED: Final = "REVOKED"
RETRY: Final = "RETRY"
UNKNOWN: Final = "UNKNOWN"

READY_STATES: Final = frozenset({SUCCESS, FAILURE, REVOKED})

_FROM_WEFT: Final[dict[str, str]] = {
    "scheduled": PENDING,
    "created": PENDING,
    "queued": PENDING,
    "reserved": RECEIVED,
    "spawning": RECEIVED,
    "running": STARTED,
    "completed": SUCCESS,
    "failed": FAILURE,
    "timeout": FAILURE,
    "cancelled": REVOKED,
    "killed": REVOKED,
    "expired": REVOKED,
    "purged": REVOKED,  # removed from its queue by `weft-compat purge`
    "unknown": UNKNOWN,
}


def state_from_weft(status: str | None) -> str:
    """Map a raw Weft status (or `None` for "never seen") to a Celery-style state."""
    if status is None:
        return UNKNOWN
    # A status this table does not know is passed through upper-cased rather than
    # guessed at: a view shows it, and a newer Weft status is not silently PENDING.
    return _FROM_WEFT.get(status, status.upper())
