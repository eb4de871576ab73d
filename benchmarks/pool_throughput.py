"""Pool throughput: the pooled lane vs the isolated lane vs raw Weft vs Celery + Redis.

One run, in a fresh temporary Weft context, runs the same trivial call (`return value`)
four ways and prints them side by side:

- weft_compat pooled lane: `noop.enqueue(i)` into the default queue, whose pool is
  started (`start_pool`) and warmed up before anything is timed;
- weft_compat isolated lane: `noop.using(lane="isolated").enqueue(i)`, one Weft task
  per call;
- raw Weft: one `WeftClient.submit` of a function task per call, no weft_compat;
- Celery with a Redis broker and Redis result backend, a prefork worker `-c 2` started
  as a subprocess and warmed up first (skipped when Redis does not answer).

For each batch size, throughput is end to end: enqueue every call, then wait for every
result, in tasks/s. Single-call latency is enqueue one call and wait for its result,
the median over several calls. The isolated lane and raw Weft run about one task a
second, so they only run batches up to `--slow-batch` calls (a size always measured),
once; bigger sizes are reported as skipped with the time they would take at the rate of
that batch. All four ways are set up first and then measured interleaved (latency call
by call, batches size by size, `--repeat` rounds of the fast ways' batches, keeping each
way's fastest), so a busy machine weighs on them alike; the 1-minute load average is
printed at the start and the end. Needs the `bench` extra (Celery and the
Redis client) and, for the Celery column, Redis on 127.0.0.1:6379:

    pip install -e '.[bench]'
    python -m benchmarks.pool_throughput [--sizes 1,200,2000] [--slow-batch 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from weft.client import Task, WeftClient

    from weft_compat import WeftSubmission, WeftTask

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RAW_TARGET: Final = "benchmarks.pool_throughput:raw_noop"
REDIS_URL: Final = "redis://127.0.0.1:6379/15"
REDIS_URL_ENV_VAR: Final = "WEFT_COMPAT_BENCH_REDIS"  # read by benchmarks._celery_app
CELERY_APP: Final = "benchmarks._celery_app"
CELERY_CONCURRENCY: Final = 2
RESULT_TIMEOUT: Final = 300.0
WORKER_STOP_TIMEOUT: Final = 20.0

POOLED: Final = "weft_compat pooled"
ISOLATED: Final = "weft_compat isolated"
RAW: Final = "raw Weft submit"
CELERY: Final = "Celery+Redis -c 2"
LATENCY_TARGET_MS: Final = 10.0


def raw_noop(value: int) -> int:
    """The raw Weft function target: Weft calls it with the submitted payload."""
    return value


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run: batch sizes, the slow lanes' largest batch, calls per latency figure."""

    sizes: list[int]
    slow_batch: int
    latency_calls: int
    slow_latency_calls: int
    warmup: int
    repeat: int

    def runs_batch(self, way: Way[Any], size: int, attempt: int) -> bool:
        """Whether `way` times a batch of `size` calls in round `attempt` (from 0)."""
        if way.slow:
            return size <= self.slow_batch and attempt == 0
        return True


@dataclass(frozen=True, slots=True)
class Way[H]:
    """One way of running the trivial call: enqueue it, and wait for its value."""

    label: str
    submit: Callable[[int], H]
    wait: Callable[[H], object]
    slow: bool = False


@dataclass(slots=True)
class Figures:
    """What was measured for one way: latency samples (s) and batch times (size → s)."""

    label: str
    latencies: list[float] = field(default_factory=list)
    batches: dict[int, float] = field(default_factory=dict)
    skipped: str | None = None

    def latency_ms(self) -> float | None:
        """The median single-call latency in ms."""
        return statistics.median(self.latencies) * 1000 if self.latencies else None

    def throughput(self, size: int) -> tuple[float, bool] | None:
        """Tasks/s for `size` calls, and whether it is estimated from a smaller batch."""
        if size in self.batches:
            return size / self.batches[size], False
        if not self.batches:
            return None
        largest = max(self.batches)
        return largest / self.batches[largest], True


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,200,2000", help="batch sizes (default 1,200,2000)")
    parser.add_argument(
        "--slow-batch", type=int, default=20, help="largest batch for the slow lanes (default 20)"
    )
    parser.add_argument("--latency-calls", type=int, default=20, help="fast lanes (default 20)")
    parser.add_argument("--slow-latency-calls", type=int, default=5, help="slow lanes (default 5)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up calls (default 5)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="fast lanes: best of N batches per size (default 3)"
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"default {REDIS_URL}")
    return parser.parse_args()


def build_plan(arguments: argparse.Namespace) -> Plan:
    sizes = sorted({int(size) for size in str(arguments.sizes).split(",") if size.strip()})
    if not sizes or sizes[0] < 1:
        raise SystemExit(f"--sizes {arguments.sizes!r}: give positive integers such as 1,200,2000")
    return Plan(
        sizes=sorted({*sizes, arguments.slow_batch}),
        slow_batch=arguments.slow_batch,
        latency_calls=arguments.latency_calls,
        slow_latency_calls=arguments.slow_latency_calls,
        warmup=arguments.warmup,
        repeat=max(1, arguments.repeat),
    )


def configure(context: Path) -> None:
    os.environ["WEFT_COMPAT_CONTEXT"] = str(context)


def warm_up[H](way: Way[H], calls: int) -> None:
    for index in range(calls):
        way.wait(way.submit(index))


def time_batch[H](way: Way[H], size: int) -> float:
    """Enqueue `size` calls, then wait for every result; returns the seconds taken."""
    started = time.perf_counter()
    handles = [way.submit(index) for index in range(size)]
    values = [way.wait(handle) for handle in handles]
    elapsed = time.perf_counter() - started
    if values != list(range(size)):
        wrong = next(index for index, value in enumerate(values) if value != index)
        raise RuntimeError(f"{way.label}: call {wrong} returned {values[wrong]!r}")
    return elapsed


def time_one[H](way: Way[H], index: int) -> float:
    """Enqueue one call and wait for its result; returns the seconds taken."""
    started = time.perf_counter()
    value = way.wait(way.submit(index))
    elapsed = time.perf_counter() - started
    if value != index:
        raise RuntimeError(f"{way.label}: call {index} returned {value!r}")
    return elapsed


def measure_latencies(ways: Sequence[Way[Any]], plan: Plan, results: dict[str, Figures]) -> None:
    """Single calls, interleaved call by call across the ways (the slow ones make fewer)."""
    print("single-call latency ...", file=sys.stderr)
    for index in range(max(plan.latency_calls, plan.slow_latency_calls)):
        for way in ways:
            if index < (plan.slow_latency_calls if way.slow else plan.latency_calls):
                results[way.label].latencies.append(time_one(way, index))


def measure_batches(ways: Sequence[Way[Any]], plan: Plan, results: dict[str, Figures]) -> None:
    """For each size, rounds of every way's batch in turn; each way keeps its fastest."""
    for size in plan.sizes:
        for attempt in range(plan.repeat):
            for way in ways:
                if plan.runs_batch(way, size, attempt):
                    print(f"{size} calls, round {attempt + 1}: {way.label} ...", file=sys.stderr)
                    elapsed = time_batch(way, size)
                    best = results[way.label].batches.get(size, elapsed)
                    results[way.label].batches[size] = min(best, elapsed)


def weft_value(handle: WeftSubmission) -> object:
    return handle.result(timeout=RESULT_TIMEOUT).value


def pooled_way(noop: WeftTask[[int], int], plan: Plan, cleanup: ExitStack) -> Way[WeftSubmission]:
    """The pooled lane, default queue: its pool is started and warmed up here, untimed."""
    from weft_compat.pool import start_pool, stop_all_pools

    cleanup.callback(stop_all_pools, timeout=60)
    print(f"pool master {start_pool()} started", file=sys.stderr)
    way: Way[WeftSubmission] = Way(POOLED, noop.enqueue, weft_value)
    warm_up(way, plan.warmup)
    return way


def isolated_way(noop: WeftTask[[int], int]) -> Way[WeftSubmission]:
    isolated = noop.using(lane="isolated")
    way: Way[WeftSubmission] = Way(ISOLATED, isolated.enqueue, weft_value, slow=True)
    warm_up(way, 1)
    return way


def raw_way(client: WeftClient) -> Way[Task]:
    template = {
        "name": "benchmarks.raw_noop",
        "spec": {"type": "function", "function_target": RAW_TARGET},
    }

    def submit(index: int) -> Task:
        return client.submit(template, payload=index)

    def wait(task: Task) -> object:
        return task.result(timeout=RESULT_TIMEOUT).value

    way: Way[Task] = Way(RAW, submit, wait, slow=True)
    warm_up(way, 1)
    return way


def redis_problem(url: str) -> str | None:
    """Why Redis at `url` cannot be used, or None when it answers PING."""
    import redis

    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        connection.ping()
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def start_celery_worker(log: Path, queue: str) -> subprocess.Popen[bytes]:
    """Start a prefork worker in its own process group, its output going to `log`."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        CELERY_APP,
        "worker",
        "-c",
        str(CELERY_CONCURRENCY),
        "--pool",
        "prefork",
        "-Q",
        queue,
        "--loglevel",
        "warning",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"weft-compat-bench-{os.getpid()}@%h",
    ]
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": path},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(worker: subprocess.Popen[bytes], timeout: float) -> None:
    """Warm shutdown (SIGTERM), SIGKILL to its process group after `timeout`."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"celery worker {worker.pid} ignored SIGTERM; killing it", file=sys.stderr)
            kill_group(worker.pid)
            worker.wait()
    # The group id stays reserved while any member lives, so whatever is left is ours.
    if group_alive(worker.pid):
        print(f"celery worker {worker.pid} left pool processes; killing them", file=sys.stderr)
        kill_group(worker.pid)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def kill_group(group: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def celery_way(plan: Plan, workdir: Path, url: str, cleanup: ExitStack) -> Way[Any] | str:
    """Celery + Redis with a warmed-up prefork worker, or why it is skipped (no Redis)."""
    problem = redis_problem(url)
    if problem is not None:
        print(f"Redis at {url} does not answer ({problem}); skipping Celery", file=sys.stderr)
        return f"Redis not listening at {url}"
    os.environ[REDIS_URL_ENV_VAR] = url
    import redis

    from benchmarks import _celery_app

    redis.Redis.from_url(url).delete(_celery_app.QUEUE)
    log = workdir / "celery-worker.log"
    worker = start_celery_worker(log, _celery_app.QUEUE)
    cleanup.callback(stop_worker, worker, WORKER_STOP_TIMEOUT)
    task: Any = _celery_app.noop

    def submit(index: int) -> Any:
        return task.apply_async((index,), queue=_celery_app.QUEUE)

    def wait(result: Any) -> object:
        return result.get(timeout=RESULT_TIMEOUT)

    way: Way[Any] = Way(CELERY, submit, wait)
    try:
        warm_up(way, plan.warmup)
    except Exception:
        print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        raise
    return way


def cell(figures: Figures, size: int) -> str:
    if figures.skipped is not None:
        return "skipped (no Redis)"
    rate = figures.throughput(size)
    if rate is None:
        return "-"
    tasks_per_second, estimated = rate
    if estimated:
        return f"skipped (≈{size / tasks_per_second:.0f} s)"
    return f"{tasks_per_second:8.1f} ({seconds(figures.batches[size])})"


def seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def latency_cell(figures: Figures) -> str:
    median = figures.latency_ms()
    if median is None:
        return "skipped" if figures.skipped else "-"
    return f"{median:8.2f} ms (n={len(figures.latencies)})"


def print_header(plan: Plan, concurrency: int, celery_version: str) -> None:
    load = os.getloadavg()[0]
    print("pool throughput: the trivial call `return value`, end to end")
    print(f"  fresh temporary Weft context; {os.cpu_count()} CPUs; 1-min load {load:.2f} at start")
    print("  all ways set up first, then interleaved: latency call by call, batches size by size")
    print(
        f"  {POOLED}: default queue, {concurrency} pool processes; pool started with "
        f"start_pool() and warmed up with {plan.warmup} calls before timing (start-up excluded)"
    )
    print(f"  {ISOLATED}: noop.using(lane='isolated'), one Weft task per call")
    print(f"  {RAW}: WeftClient.submit of a function task ({RAW_TARGET}) per call")
    print(
        f"  {CELERY}: Celery {celery_version}, Redis broker + result backend, prefork worker "
        f"-c {CELERY_CONCURRENCY}, warmed up with {plan.warmup} calls before timing"
    )
    print(
        f"  slow lanes ({ISOLATED}, {RAW}) run batches of at most {plan.slow_batch} calls; for "
        f"bigger sizes their tasks/s is the {plan.slow_batch}-call batch's, and "
        "'skipped (≈N s)' is how long that size would take at that rate"
    )


def print_table(results: Sequence[Figures], plan: Plan) -> None:
    width = 26
    print()
    print("throughput, tasks/s (wall time of the batch): enqueue all, then wait for every result")
    print(f"  pooled and Celery: the fastest of {plan.repeat} rounds")
    print("  calls " + "".join(f"{figures.label:>{width}}" for figures in results))
    for size in plan.sizes:
        row = "".join(f"{cell(figures, size):>{width}}" for figures in results)
        print(f"  {size:>5} {row}")
    print()
    print("single-call latency, median: enqueue one call, wait for its result")
    print("        " + "".join(f"{latency_cell(figures):>{width}}" for figures in results))


def ratio(numerator: Figures, denominator: Figures, size: int) -> str:
    top, bottom = numerator.throughput(size), denominator.throughput(size)
    if denominator.skipped is not None or top is None or bottom is None:
        return "n/a"
    marker = " (est.)" if top[1] or bottom[1] else ""
    return f"x{top[0] / bottom[0]:.2f}{marker}"


def print_ratios(pooled: Figures, isolated: Figures, celery: Figures, plan: Plan) -> None:
    print()
    print("ratios of throughput ('est.': the slower lane's tasks/s from its small batch)")
    print(f"  calls {'pooled/Celery':>16} {'pooled/isolated':>24}")
    for size in plan.sizes:
        row = f"{ratio(pooled, celery, size):>16} {ratio(pooled, isolated, size):>24}"
        print(f"  {size:>5} {row}")


def print_targets(pooled: Figures, celery: Figures, plan: Plan) -> None:
    print()
    print("targets")
    if celery.skipped is not None:
        print(f"  pooled throughput >= Celery+Redis: not checked ({celery.skipped})")
    else:
        met = [size for size in plan.sizes if _at_least(pooled, celery, size)]
        missed = [size for size in plan.sizes if size not in met]
        verdict = "MET at every size" if not missed else f"NOT MET at {_sizes(missed)} calls"
        extra = f" (met at {_sizes(met)})" if missed and met else ""
        print(f"  pooled throughput >= Celery+Redis: {verdict}{extra}")
    latency = pooled.latency_ms()
    verdict = "MET" if latency is not None and latency <= LATENCY_TARGET_MS else "NOT MET"
    print(
        f"  pooled single-call latency <= {LATENCY_TARGET_MS:.0f} ms: {verdict} "
        f"(median {latency or 0:.2f} ms)"
    )


def _at_least(pooled: Figures, celery: Figures, size: int) -> bool:
    mine, theirs = pooled.throughput(size), celery.throughput(size)
    return mine is not None and theirs is not None and mine[0] >= theirs[0]


def _sizes(sizes: Sequence[int]) -> str:
    return ", ".join(str(size) for size in sizes)


def run(plan: Plan, workdir: Path, redis_url: str, cleanup: ExitStack) -> None:
    """Set up the four ways, measure them interleaved, then print the report."""
    import celery

    from benchmarks.bench_tasks import noop
    from weft_compat._client import get_client
    from weft_compat._config import current_settings

    concurrency = current_settings().queue_config(None)[1].concurrency
    print_header(plan, concurrency, celery.__version__)
    cleanup.callback(lambda: get_client().managers.stop())
    # weft_compat's own client of the context: a WeftClient whose manager idles quietly.
    raw_client = get_client()
    print("setting up and warming up ...", file=sys.stderr)
    ways: list[Way[Any]] = [
        pooled_way(noop, plan, cleanup),
        isolated_way(noop),
        raw_way(raw_client),
    ]
    celery_or_reason = celery_way(plan, workdir, redis_url, cleanup)
    if isinstance(celery_or_reason, Way):
        ways.append(celery_or_reason)
    results = {way.label: Figures(way.label) for way in ways}
    measure_latencies(ways, plan, results)
    measure_batches(ways, plan, results)
    celery_figures = results.get(CELERY) or Figures(CELERY, skipped=str(celery_or_reason))
    figures = [results[POOLED], results[ISOLATED], results[RAW], celery_figures]
    print_table(figures, plan)
    print_ratios(results[POOLED], results[ISOLATED], celery_figures, plan)
    print_targets(results[POOLED], celery_figures, plan)
    load = os.getloadavg()[0]
    print(f"\n1-min load at the end: {load:.2f} (this run's processes included; noisy if high)")


def main() -> int:
    arguments = parse_arguments()
    plan = build_plan(arguments)
    workdir = Path(tempfile.mkdtemp(prefix="weft-compat-pool-bench-"))
    context = workdir / "context"
    context.mkdir()
    configure(context)
    cleanup = ExitStack()
    cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
    try:
        run(plan, workdir, arguments.redis_url, cleanup)
    finally:
        print("cleaning up: celery worker, pools, Weft manager, temp dirs ...", file=sys.stderr)
        cleanup.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
