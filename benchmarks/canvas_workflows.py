"""Workflows: a chord of 1,000 trivial members and a chain of 100, weft_compat vs Celery.

One run, in a fresh temporary Weft context, times on both systems:

- a chord: 1,000 members returning their argument, and a callback summing them; the
  time from enqueue to the callback's result;
- a chain of 100 links, each adding one; the time from enqueue to the last result.

weft_compat runs in the pooled lane, its pool and mover started and warmed up first;
Celery 5 runs with a Redis broker and result backend, a prefork worker `-c 2` warmed up
first (skipped when Redis does not answer). Each figure is the fastest of `--repeat`
rounds, the two systems interleaved round by round so a busy machine weighs on both;
the ratio is Celery's time over weft_compat's (above 1: weft_compat is faster).

    pip install -e '.[bench]'
    python -m benchmarks.canvas_workflows [--members 1000] [--links 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pool_throughput import (  # noqa: E402
    REDIS_URL,
    REDIS_URL_ENV_VAR,
    WORKER_STOP_TIMEOUT,
    redis_problem,
    start_celery_worker,
    stop_worker,
)

TIMEOUT: Final = 600.0


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="chord header size")
    parser.add_argument("--links", type=int, default=100, help="chain length")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest counts")
    return parser.parse_args()


def timed(run: Callable[[], Any], expected: Any) -> float:
    started = time.perf_counter()
    value = run()
    elapsed = time.perf_counter() - started
    if value != expected:
        raise AssertionError(f"expected {expected!r}, got {value!r}")
    return elapsed


def weft_ways(members: int, links: int) -> dict[str, Callable[[], Any]]:
    from benchmarks import bench_tasks
    from weft_compat import chain, chord

    def run_chord() -> Any:
        header = [bench_tasks.noop.step(i) for i in range(members)]
        return chord(header, bench_tasks.total.step()).enqueue().wait(timeout=TIMEOUT)

    def run_chain() -> Any:
        steps = [bench_tasks.increment.step() for _ in range(links - 1)]
        return chain(bench_tasks.increment.step(0), *steps).enqueue().wait(timeout=TIMEOUT)

    return {"chord": run_chord, "chain": run_chain}


def celery_ways(members: int, links: int, workdir: Path, cleanup: ExitStack) -> Any:
    url = os.environ.get(REDIS_URL_ENV_VAR, REDIS_URL)
    problem = redis_problem(url)
    if problem is not None:
        return f"Redis not listening at {url} ({problem})"
    os.environ[REDIS_URL_ENV_VAR] = url
    import redis
    from celery import chain, chord

    from benchmarks import _celery_app

    redis.Redis.from_url(url).delete(_celery_app.QUEUE)
    worker = start_celery_worker(workdir / "celery-worker.log", _celery_app.QUEUE)
    cleanup.callback(stop_worker, worker, WORKER_STOP_TIMEOUT)
    queue = _celery_app.QUEUE
    noop: Any = _celery_app.noop
    total: Any = _celery_app.total
    increment: Any = _celery_app.increment
    noop.apply_async((1,), queue=queue).get(timeout=TIMEOUT)  # warm up

    def run_chord() -> Any:
        header = [noop.s(i).set(queue=queue) for i in range(members)]
        return chord(header)(total.s().set(queue=queue)).get(timeout=TIMEOUT)

    def run_chain() -> Any:
        steps = [increment.s().set(queue=queue) for _ in range(links - 1)]
        flow = chain(increment.s(0).set(queue=queue), *steps)
        return flow.apply_async().get(timeout=TIMEOUT)

    return {"chord": run_chord, "chain": run_chain}


def main() -> None:
    arguments = parse_arguments()
    members, links = arguments.members, arguments.links
    expected = {"chord": members * (members - 1) // 2, "chain": links}
    workdir = Path(tempfile.mkdtemp(prefix="weft-compat-canvas-"))
    os.environ["WEFT_COMPAT_CONTEXT"] = str(workdir / "context")
    (workdir / "context").mkdir()
    print(f"load average at start: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        from benchmarks import bench_tasks  # noqa: F401 (the pool's processes load it)
        from weft_compat.pool import start_pool, stop_all_pools
        from weft_compat.shutdown import stop_context

        cleanup.callback(stop_context, grace=60)
        cleanup.callback(stop_all_pools, timeout=60)
        start_pool()
        weft = weft_ways(members, links)
        weft["chain"]()  # warm up: pool, mover, imports
        celery = celery_ways(members, links, workdir, cleanup)
        best: dict[tuple[str, str], float] = {}
        for _ in range(arguments.repeat):
            for name in ("chord", "chain"):
                ways = [("weft_compat", weft)]
                if isinstance(celery, dict):
                    ways.append(("Celery+Redis", celery))
                for system, runs in ways:
                    elapsed = timed(runs[name], expected[name])
                    key = (system, name)
                    best[key] = min(best.get(key, elapsed), elapsed)
        print(f"load average at end: {os.getloadavg()[0]:.2f}", file=sys.stderr)
        labels = {
            "chord": f"chord of {members:,} (enqueue → callback)",
            "chain": f"chain of {links}",
        }
        print(f"{'workflow':<36} {'weft_compat':>12} {'Celery+Redis':>13} {'ratio':>7}")
        for name in ("chord", "chain"):
            ours = best[("weft_compat", name)]
            theirs = best.get(("Celery+Redis", name))
            other = f"{theirs:>12.2f}s" if theirs is not None else f"{'skipped':>13}"
            ratio = f"{theirs / ours:>6.2f}x" if theirs is not None else ""
            print(f"{labels[name]:<36} {ours:>11.2f}s {other} {ratio:>7}")
        if not isinstance(celery, dict):
            print(f"Celery skipped: {celery}")


if __name__ == "__main__":
    main()
