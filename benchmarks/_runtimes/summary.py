"""From the raw figures of each round to one median and spread per system and metric.

A round's figure for a metric is one number (a burst's tasks/s, the median of its
single-call latencies, CPU ms per call, ...); a system's summary of a metric is the
median over its rounds, with the lowest and highest round beside it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

MIB: Final = 1024 * 1024

Round = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of a metric over rounds, and its lowest and highest round."""

    median: float
    low: float
    high: float
    rounds: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread | None:
        figures = list(values)
        if not figures:
            return None
        return cls(statistics.median(figures), min(figures), max(figures), len(figures))


def _burst(size: int, figure: Callable[[Mapping[str, float]], float]) -> Callable[[Round], float]:
    return lambda record: figure(record["bursts"][str(size)])


def throughput(size: int) -> Callable[[Round], float]:
    """Calls per second of a burst, enqueue of the first to the last result read back."""
    return _burst(size, lambda burst: size / burst["wall_s"])


def cpu_per_call(size: int) -> Callable[[Round], float]:
    """CPU ms per call of a burst: the system's processes and its broker server."""
    return _burst(size, lambda burst: (burst["worker_cpu_s"] + burst["broker_cpu_s"]) / size * 1e3)


def broker_cpu_per_call(size: int) -> Callable[[Round], float]:
    return _burst(size, lambda burst: burst["broker_cpu_s"] / size * 1e3)


def client_cpu_per_call(size: int) -> Callable[[Round], float]:
    """CPU ms per call of the driver, the client that enqueues and reads results."""
    return _burst(size, lambda burst: burst["client_cpu_s"] / size * 1e3)


def latency_ms(record: Round) -> float:
    """Median round trip of single calls: enqueue, run, result read back."""
    return float(statistics.median(record["latency_s"])) * 1e3


def enqueue_ms(record: Round) -> float:
    """Median time the caller spends enqueuing a single call (the submit alone)."""
    return float(statistics.median(record["enqueue_s"])) * 1e3


def idle_percent(record: Round) -> float:
    idle = record["idle"]
    return float((idle["worker_cpu_s"] + idle["broker_cpu_s"]) / idle["seconds"] * 100)


def broker_idle_percent(record: Round) -> float:
    idle = record["idle"]
    return float(idle["broker_cpu_s"] / idle["seconds"] * 100)


def worker_rss_mib(record: Round) -> float:
    return float(record["workers"]["rss_bytes"]) / MIB


def worker_pss_mib(record: Round) -> float:
    return float(record["workers"]["pss_bytes"]) / MIB


def broker_rss_mib(record: Round) -> float:
    return float(record["broker"]["rss_bytes"]) / MIB


def worker_processes(record: Round) -> float:
    return float(record["workers"]["processes"])


def broker_processes(record: Round) -> float:
    return float(record["broker"]["processes"])


def ok_rounds(records: Sequence[Round], system: str) -> list[Round]:
    return [record for record in records if record["system"] == system and "error" not in record]


def spread(records: Sequence[Round], metric: Callable[[Round], float]) -> Spread | None:
    return Spread.of(metric(record) for record in records)
