"""Deferred calls and retries: how late due work starts, and what one retry attempt costs.

One run, in a fresh temporary Weft context, with a pool and a mover started and warmed up
first (a deployment's steady state):

- lateness: `--items` calls (default 100) in the pooled lane, all due at the same moment
  (`eta`, a few seconds ahead), each returning the time it started; lateness is start
  minus due, reported as p50, p99 and max. The same for `--isolated-items` calls (default
  10) in the isolated lane, where each call then starts its own process: there the
  mover's part (submission minus due, read from the call record) is reported as well.
- retry cost: single-call latency, enqueue to result, of a call that succeeds at once
  and of one that asks for one retry due at once (`self.retry(countdown=0)`), median of
  `--calls` calls each (default 20; 5 in the isolated lane); the difference is what one
  retry attempt adds.

    python -m benchmarks.deferred_lateness [--items 100] [--isolated-items 10] [--calls 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LEAD_SECONDS: Final = 3.0


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def lateness(lane: str, items: int) -> tuple[list[float], list[float]]:
    """Start minus due (seconds) of `items` calls due at one moment, and submission minus due."""
    from benchmarks.bench_tasks import started_at
    from weft_compat._broker import call_record, get_broker

    due = time.time() + LEAD_SECONDS
    moment = datetime.fromtimestamp(due, UTC)
    handles = [started_at.using(lane=lane, eta=moment).enqueue() for _ in range(items)]
    starts = [float(handle.result(timeout=600).value) for handle in handles]
    submitted = []
    for handle in handles:
        # The mover links the Weft task it submitted, and the task links itself again
        # when it starts (in case the mover was lost): the first link is the submission.
        links = [
            message_id
            for body, message_id in get_broker().peek_many(
                call_record(handle.tid), 10, with_timestamps=True
            )
            if '"submitted"' in body
        ]
        if links:
            submitted.append(min(links) / 1e9 - due)
    return [start - due for start in starts], submitted


def latency_ms(submit: Callable[[int], object], calls: int) -> float:
    """Median milliseconds from enqueue to result."""
    from weft_compat import WeftSubmission

    timings = []
    for index in range(calls):
        started = time.perf_counter()
        handle = submit(index)
        assert isinstance(handle, WeftSubmission)
        assert handle.result(timeout=600).value == index
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def describe(label: str, seconds: list[float]) -> str:
    ms = [value * 1000 for value in seconds]
    return (
        f"{label:<34} {len(ms):>5} {percentile(ms, 0.5):>9.1f} {percentile(ms, 0.99):>9.1f} "
        f"{max(ms):>9.1f}"
    )


def run(arguments: argparse.Namespace) -> None:
    from benchmarks.bench_tasks import noop, retries_once
    from weft_compat.due import start_mover
    from weft_compat.pool import start_pool

    print("starting a pool and a mover and warming them up ...", file=sys.stderr)
    start_pool(concurrency=2)
    start_mover()
    for lane in ("pooled", "isolated"):
        retries_once.using(lane=lane).enqueue(0).result(timeout=120)
        noop.using(lane=lane, countdown=0.1).enqueue(0).result(timeout=120)
    print(f"1-min load at the start: {os.getloadavg()[0]:.2f}")
    pooled, _ = lateness("pooled", arguments.items)
    isolated, submitted = lateness("isolated", arguments.isolated_items)
    print(f"\nLateness of calls due at the same moment (ms after the due time; {LEAD_SECONDS:g} s")
    print("ahead; pooled lane: 2 pool processes)")
    print(f"{'':<34} {'calls':>5} {'p50':>9} {'p99':>9} {'max':>9}")
    print(describe("pooled: started", pooled))
    print(describe("isolated: submitted by the mover", submitted))
    print(describe("isolated: started (own process)", isolated))
    print("\nAdded cost of one retry attempt (median enqueue-to-result, ms)")
    print(f"{'':<12} {'calls':>5} {'no retry':>10} {'one retry':>10} {'added':>9} {'ratio':>7}")
    for lane, calls in (("pooled", arguments.calls), ("isolated", arguments.isolated_calls)):
        plain = latency_ms(lambda index, lane=lane: noop.using(lane=lane).enqueue(index), calls)
        retried = latency_ms(
            lambda index, lane=lane: retries_once.using(lane=lane).enqueue(index), calls
        )
        print(
            f"{lane:<12} {calls:>5} {plain:>10.1f} {retried:>10.1f} {retried - plain:>9.1f} "
            f"{retried / plain:>6.2f}x"
        )
    print(f"\n1-min load at the end: {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--isolated-items", type=int, default=10)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--isolated-calls", type=int, default=5)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="weft-compat-deferred-bench-"))
    os.environ["WEFT_COMPAT_CONTEXT"] = str(workdir)
    try:
        run(arguments)
    finally:
        print("cleaning up: movers, pools, Weft manager, temp dir ...", file=sys.stderr)
        from weft_compat._client import get_client
        from weft_compat.due import stop_movers
        from weft_compat.pool import stop_all_pools

        stop_movers(timeout=60)
        stop_all_pools(timeout=60)
        get_client().managers.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
