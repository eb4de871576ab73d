"""The driver: one system, one round, timed from a client process of its own.

`python -m benchmarks._runtimes.drive --system NAME --plan JSON --out PATH` runs in the
environment of the system's processes (with their tag), connects the system's client,
and in order: warms up (sequential calls, then a burst, untimed), waits for things to
settle, reads idle CPU over a quiet window, times single calls one after another, then
times each burst size (enqueue every call, then read every result back). CPU is read
from /proc before and after each window for the system's processes (found by tag and as
descendants of the processes the benchmark started, `WEFT_COMPAT_BENCH_ROOT_PIDS`; the
driver itself is left out and measured apart as client CPU) and for the broker server
processes the benchmark names in `WEFT_COMPAT_BENCH_BROKER_PIDS`. The figures go to
PATH as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from benchmarks._runtimes.plan import Plan
from benchmarks._runtimes.procs import (
    TAG_ENV_VAR,
    Sample,
    churn,
    command_line,
    cpu_between,
    cpu_by_process,
    read_pss,
    sample,
    tagged_pids,
    with_descendants,
)
from benchmarks._systems._base import Client
from benchmarks._systems.registry import SYSTEMS

BROKER_PIDS_ENV_VAR: Final = "WEFT_COMPAT_BENCH_BROKER_PIDS"
ROOT_PIDS_ENV_VAR: Final = "WEFT_COMPAT_BENCH_ROOT_PIDS"


class Watch:
    """The processes a round counts: the system's and its broker server's.

    The system's are those carrying its tag and those below the processes the benchmark
    started: a process that sets its title (Celery, Weft) may overwrite its environment
    in /proc, and only its place in the tree tells it then.
    """

    def __init__(self, tag: str, roots: Sequence[int], broker_roots: Sequence[int]) -> None:
        self._tag = tag
        self._roots = list(roots)
        self._broker_roots = list(broker_roots)

    def broker_pids(self) -> list[int]:
        return with_descendants(self._broker_roots) if self._broker_roots else []

    def worker_pids(self) -> list[int]:
        found = {*tagged_pids(self._tag), *with_descendants(self._roots)}
        return sorted(found - {os.getpid(), *self.broker_pids()})

    def snapshot(self) -> tuple[Sample, Sample]:
        return sample(self.worker_pids()), sample(self.broker_pids())


def _by_process(before: Sample, after: Sample) -> dict[str, float]:
    """Each process's CPU seconds in a window, named `pid command line` (raw figures only)."""
    return {
        f"{pid} {command_line(pid, width=48)}": seconds
        for pid, seconds in cpu_by_process(before, after).items()
    }


def _checked(value: object, expected: int) -> None:
    if value != expected:
        raise RuntimeError(f"add returned {value!r}, expected {expected!r}")


def _calls(client: Client, count: int) -> None:
    for index in range(count):
        _checked(client.wait(client.submit(index, index)), 2 * index)


def _burst(client: Client, size: int) -> None:
    handles = [client.submit(index, index) for index in range(size)]
    for index, handle in enumerate(handles):
        _checked(client.wait(handle), 2 * index)


def measure_idle(watch: Watch, seconds: float) -> dict[str, Any]:
    workers, broker = watch.snapshot()
    started = time.perf_counter()
    time.sleep(seconds)
    after_workers, after_broker = watch.snapshot()
    return {
        "seconds": time.perf_counter() - started,
        "worker_cpu_s": cpu_between(workers, after_workers),
        "broker_cpu_s": cpu_between(broker, after_broker),
        "by_process": _by_process(workers, after_workers),
    }


def measure_latency(client: Client, calls: int) -> tuple[list[float], list[float]]:
    """Single calls one after another: each one's round trip, and its enqueue alone."""
    round_trips, enqueues = [], []
    for index in range(calls):
        started = time.perf_counter()
        handle = client.submit(index, index)
        enqueued = time.perf_counter()
        _checked(client.wait(handle), 2 * index)
        round_trips.append(time.perf_counter() - started)
        enqueues.append(enqueued - started)
    return round_trips, enqueues


def measure_burst(client: Client, watch: Watch, size: int, tail: float) -> dict[str, Any]:
    """Enqueue `size` calls, then read every result; wall time and CPU of everything."""
    workers, broker = watch.snapshot()
    client_started = time.process_time()
    started = time.perf_counter()
    _burst(client, size)
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - client_started
    time.sleep(tail)
    after_workers, after_broker = watch.snapshot()
    return {
        "wall_s": elapsed,
        "worker_cpu_s": cpu_between(workers, after_workers),
        "broker_cpu_s": cpu_between(broker, after_broker),
        "client_cpu_s": client_cpu,
        "process_churn": churn(workers, after_workers),
        "by_process": _by_process(workers, after_workers),
    }


def _resources(stats: Sample) -> dict[str, Any]:
    pss = [read_pss(stat.pid) for stat in stats.values()]
    return {
        "processes": len(stats),
        "rss_bytes": sum(stat.rss for stat in stats.values()),
        "pss_bytes": sum(value or 0 for value in pss),
        "names": dict(Counter(command_line(stat.pid) for stat in stats.values())),
    }


def drive(system_name: str, plan: Plan, watch: Watch) -> dict[str, Any]:
    client = SYSTEMS[system_name].connect()
    print(f"{system_name}: warming up", file=sys.stderr)
    _calls(client, plan.warmup_calls)
    _burst(client, plan.warmup_burst)
    time.sleep(plan.settle_seconds)
    idle = measure_idle(watch, plan.idle_seconds)
    latency, enqueue = measure_latency(client, plan.latency_calls)
    bursts = {str(size): measure_burst(client, watch, size, plan.tail_seconds)
              for size in plan.sizes}  # fmt: skip
    workers, broker = watch.snapshot()
    return {
        "idle": idle,
        "latency_s": latency,
        "enqueue_s": enqueue,
        "bursts": bursts,
        "workers": _resources(workers),
        "broker": _resources(broker),
        "facts": client.facts(),
    }


def _pids(variable: str) -> list[int]:
    return [int(pid) for pid in os.environ.get(variable, "").split(",") if pid]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", required=True, choices=sorted(SYSTEMS))
    parser.add_argument("--plan", required=True, help="the Plan as JSON")
    parser.add_argument("--out", required=True, type=Path, help="where the figures go")
    arguments = parser.parse_args(argv)
    watch = Watch(os.environ[TAG_ENV_VAR], _pids(ROOT_PIDS_ENV_VAR), _pids(BROKER_PIDS_ENV_VAR))
    figures = drive(arguments.system, Plan.from_json(arguments.plan), watch)
    arguments.out.write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
