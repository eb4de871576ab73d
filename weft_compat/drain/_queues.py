"""Which Celery queues a drain reads, and the weft_compat queue each one's calls go to.

`--queue celery` reads Celery's queue `celery`; `--queue reports=slow` sends the calls
of Celery's `reports` to weft_compat's `slow`. A Celery queue named without a target is
mapped only where the mapping is certain: Celery's default queue `celery` goes to
`DEFAULT_QUEUE`, and a name the `QUEUES` setting lists (or `DEFAULT_QUEUE` itself) goes
to the queue of that name. Anything else is refused before a message is read, so no
call lands in a queue no worker serves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from weft_compat._config import Settings
from weft_compat.exceptions import InvalidOptionValue

__all__ = ["CELERY_DEFAULT_QUEUE", "QueueRoute", "parse_routes"]

# Celery's `task_default_queue`.
CELERY_DEFAULT_QUEUE: Final = "celery"
_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
# A Celery queue name may hold more than weft_compat's do (`:` in some deployments).
_CELERY_NAME: Final = re.compile(r"[^\s=]+")


@dataclass(frozen=True, slots=True)
class QueueRoute:
    """A Celery queue a drain reads, and the weft_compat queue (and lane) it feeds."""

    celery: str
    weft: str
    lane: str


def parse_routes(specs: Sequence[str], settings: Settings) -> list[QueueRoute]:
    """The routes of `--queue` values (default: Celery's `celery`); raises naming the first
    value that is malformed or maps to no weft_compat queue."""
    routes: dict[str, QueueRoute] = {}
    for spec in specs or [CELERY_DEFAULT_QUEUE]:
        celery, sep, weft = spec.partition("=")
        if not _CELERY_NAME.fullmatch(celery) or (sep and not _NAME.fullmatch(weft)):
            raise InvalidOptionValue(
                f"--queue {spec!r} is not a queue name or CELERY_QUEUE=WEFT_QUEUE; pass one "
                "such as --queue celery or --queue reports=slow"
            )
        target = weft if sep else _implied(celery, settings)
        if target is None:
            known = ", ".join(sorted({settings.DEFAULT_QUEUE, *settings.QUEUES}))
            raise InvalidOptionValue(
                f"the Celery queue {celery!r} maps to no weft_compat queue (known: {known}); "
                f"pass --queue {celery}=QUEUE or add {celery!r} to WEFT_COMPAT['QUEUES']"
            )
        previous = routes.get(celery)
        if previous is not None and previous.weft != target:
            raise InvalidOptionValue(
                f"--queue {spec!r} maps {celery!r} a second time (to {previous.weft!r} "
                "before); pass each Celery queue once"
            )
        _, config = settings.queue_config(target)
        routes[celery] = QueueRoute(celery, target, config.lane)
    return list(routes.values())


def _implied(celery: str, settings: Settings) -> str | None:
    if celery in settings.QUEUES or celery == settings.DEFAULT_QUEUE:
        return celery
    if celery == CELERY_DEFAULT_QUEUE:
        return settings.DEFAULT_QUEUE
    return None
