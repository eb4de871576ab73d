"""What one run of `benchmarks.runtimes` measures: sizes, rounds, calls, pauses."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The sizes and counts of a run; the driver gets it as JSON."""

    sizes: tuple[int, ...] = (200, 2000)
    rounds: int = 5
    latency_calls: int = 20
    warmup_calls: int = 20
    warmup_burst: int = 100
    settle_seconds: float = 2.0  # after warm-up, before the idle window
    idle_seconds: float = 10.0
    tail_seconds: float = 0.5  # after a burst's last result, before CPU is read again

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        fields = json.loads(text)
        fields["sizes"] = tuple(fields["sizes"])
        return cls(**fields)


QUICK = Plan(
    sizes=(20, 50),
    rounds=1,
    latency_calls=5,
    warmup_calls=3,
    warmup_burst=10,
    settle_seconds=0.5,
    idle_seconds=2.0,
    tail_seconds=0.2,
)
