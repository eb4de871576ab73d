"""What a drain did (or, with `--dry-run`, would do): counts per queue, the parked
messages with their reasons, the rate; printed as text or JSON, and as a progress line.

Each message ends in one of these actions: `queued` (submitted to its weft_compat queue),
`deferred` (waits for its `eta`), `expired` (its `expires` had passed: `REVOKED`),
`duplicate` (drained before, only acknowledged again) or `parked`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from weft_compat.drain._park import Parked

__all__ = ["ACTIONS", "Action", "DrainReport"]

Action = Literal["queued", "deferred", "expired", "duplicate", "parked"]
ACTIONS: Final[tuple[Action, ...]] = ("queued", "deferred", "expired", "duplicate", "parked")
_DRAINED: Final = frozenset({"queued", "deferred", "expired"})


@dataclass
class DrainReport:
    """The running tally of one drain."""

    broker: str
    routes: dict[str, str]
    parking_queue: str
    dry_run: bool = False
    started: float = field(default_factory=time.monotonic)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    parked: list[Parked] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)

    def add(self, queue: str, action: Action, parked: Parked | None = None) -> None:
        """Count one message of the Celery queue `queue`."""
        self.counts.setdefault(queue, Counter())[action] += 1
        if parked is not None:
            self.parked.append(parked)

    def total(self, *actions: str) -> int:
        """How many messages ended in any of `actions` (all, when none is named)."""
        wanted = set(actions) or set(ACTIONS)
        return sum(n for counts in self.counts.values() for a, n in counts.items() if a in wanted)

    @property
    def drained(self) -> int:
        """Messages whose call is now in weft_compat (queued, deferred or expired)."""
        return self.total(*_DRAINED)

    def rate(self) -> float:
        """Messages handled per second so far."""
        elapsed = time.monotonic() - self.started
        return self.total() / elapsed if elapsed > 0 else 0.0

    def progress_line(self) -> str:
        """One line: drained, parked, duplicates and the rate."""
        verb = "would drain" if self.dry_run else "drained"
        return (
            f"drain: {verb} {self.drained}, parked {self.total('parked')}, "
            f"already drained {self.total('duplicate')}, {self.rate():.0f} messages/s"
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as one JSON-ready object."""
        return {
            "broker": self.broker,
            "dry_run": self.dry_run,
            "parking_queue": self.parking_queue,
            "queues": [
                {
                    "celery_queue": celery,
                    "queue": weft,
                    "waiting_before": self.waiting.get(celery),
                    **{action: self.counts.get(celery, Counter())[action] for action in ACTIONS},
                }
                for celery, weft in self.routes.items()
            ],
            "drained": self.drained,
            "parked": [entry.as_dict() for entry in self.parked],
            "seconds": round(time.monotonic() - self.started, 3),
            "messages_per_second": round(self.rate(), 1),
        }

    def render(self, output: str) -> str:
        """The report as `output` (`text` or `json`)."""
        if output == "json":
            return json.dumps(self.as_dict(), indent=2)
        body = self.as_dict()
        head = "dry run, nothing consumed: " if self.dry_run else ""
        lines = [f"{head}{self.progress_line().removeprefix('drain: ')} from {self.broker}"]
        for row in body["queues"]:
            lines.append(
                f"  {row['celery_queue']} -> {row['queue']}: {row['queued']} queued, "
                f"{row['deferred']} deferred, {row['expired']} expired (REVOKED), "
                f"{row['duplicate']} already drained, {row['parked']} parked"
            )
        if self.parked:
            where = "would park in" if self.dry_run else "parked in"
            lines.append(f"{where} {self.parking_queue}:")
            lines.extend(
                f"  {entry.task_id or '?'} {entry.task or '?'} (from {entry.queue}): {entry.reason}"
                for entry in self.parked
            )
        return "\n".join(lines)
