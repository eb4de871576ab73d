"""The pooled lane against the runtimes Celery users would otherwise pick, in one run.

Every system runs the same task (add two numbers, return the sum) with two worker
processes, stores every result and has it read back by the client:

- durable: weft_compat's pooled lane (`weft-compat worker -Q bench -c 2`, SQLite with
  `synchronous=FULL`), Huey on SQLite (`huey_consumer -w 2 -k process`, fsync on),
  Celery + a Redis of the benchmark's own with `appendfsync always` and `acks_late`,
  Django 6's `db_worker` (django-tasks-db) on SQLite, two worker processes;
- not durable: Celery + the machine's Redis (nothing on disk), Dramatiq + that Redis
  (`-p 2 -t 1`, Results middleware), Celery + RabbitMQ (results over `rpc://`).

Each round starts one system at a time, from its own temp directory, warms it up,
measures it from a separate client process and stops it by PID; the systems take
turns within a round, in an order that rotates from round to round. Per round and
system: tasks/s of each burst size (enqueue all, then read every result), single-call
latency (median of sequential enqueue → result), CPU ms per call (user+sys from
/proc/<pid>/stat of every process of the system and of its broker server), the
client's own CPU per call, idle CPU over a quiet window, RSS and PSS of the worker
processes and how many there are. The report gives the median and the lowest-highest
round, and each median divided by the pooled lane's. Needs the `bench` extra, Redis on
127.0.0.1:6379, RabbitMQ on 127.0.0.1:5672 (guest/guest) and `redis-server` on PATH;
a system whose service does not answer is reported as skipped.

    pip install -e '.[bench]'
    python -m benchmarks.runtimes [--quick] [--systems pooled,huey] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from types import FrameType
from typing import Any, Final

from benchmarks._runtimes.drive import BROKER_PIDS_ENV_VAR, ROOT_PIDS_ENV_VAR
from benchmarks._runtimes.plan import QUICK, Plan
from benchmarks._runtimes.report import Report, facts, processes_seen
from benchmarks._runtimes.spawn import Spawned, spawn, stop, sweep
from benchmarks._systems._base import System, base_environment
from benchmarks._systems.registry import REFERENCE, SYSTEMS

DRIVER_TIMEOUT: Final = 1800.0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.runtimes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one round")
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {', '.join(SYSTEMS)}"
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--rounds", type=int, help="rounds (default 5; --quick 1)")
    parser.add_argument("--sizes", help="burst sizes (default 200,2000; --quick 20,50)")
    parser.add_argument("--idle-seconds", type=float, help="idle window (default 10)")
    return parser.parse_args(argv)


def build_plan(arguments: argparse.Namespace) -> Plan:
    plan = QUICK if arguments.quick else Plan()
    if arguments.rounds is not None:
        plan = replace(plan, rounds=max(1, arguments.rounds))
    if arguments.sizes:
        sizes = tuple(sorted({int(size) for size in arguments.sizes.split(",") if size.strip()}))
        if not sizes or sizes[0] < 1:
            raise SystemExit(f"--sizes {arguments.sizes!r}: give positive integers, e.g. 200,2000")
        plan = replace(plan, sizes=sizes)
    if arguments.idle_seconds is not None:
        plan = replace(plan, idle_seconds=arguments.idle_seconds)
    return plan


def choose_systems(names: str) -> list[System]:
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SYSTEMS]
    if unknown or not chosen:
        raise SystemExit(f"--systems {names!r}: choose from {', '.join(SYSTEMS)}")
    return [system for name, system in SYSTEMS.items() if name in chosen]


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every `finally` stops what it started."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def _wait_for_driver(driver: Spawned, processes: Sequence[Spawned]) -> int:
    """The driver's exit code; raises if a process of the system ends first, or on time-out."""
    deadline = time.monotonic() + DRIVER_TIMEOUT
    while (code := driver.process.poll()) is None:
        for spawned in processes:
            if (ended := spawned.process.poll()) is not None:
                raise RuntimeError(
                    f"{spawned.name} exited with code {ended} while the driver ran\n"
                    f"{spawned.log_tail(1500)}"
                )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the driver did not finish in {DRIVER_TIMEOUT:g} s")
        time.sleep(0.2)
    return code


@contextmanager
def _shielded() -> Iterator[None]:
    """Ignore Ctrl-C, SIGTERM and SIGHUP while a round stops what it started."""
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_round(system: System, plan: Plan, index: int, run_dir: Path, run_id: str) -> dict[str, Any]:
    """Start `system`, drive it from a client process, stop it; returns the round's record."""
    workdir = Path(tempfile.mkdtemp(prefix=f"{system.name.replace('-', '_')}_r{index}_",
                                    dir=run_dir))  # fmt: skip
    tag = f"{run_id}-{system.name}-{index}"
    environment = base_environment(tag)
    record: dict[str, Any] = {"system": system.name, "round": index,
                              "load_start": os.getloadavg()}  # fmt: skip
    started = None
    print(f"round {index}: {system.label} ...", file=sys.stderr)
    try:
        started = system.start(workdir, environment)
        driver_environment = {
            **environment,
            **started.client_environment,
            BROKER_PIDS_ENV_VAR: ",".join(str(pid) for pid in started.broker_pids),
            ROOT_PIDS_ENV_VAR: ",".join(str(spawned.pid) for spawned in started.processes),
        }
        figures = workdir / "figures.json"
        command = [sys.executable, "-m", "benchmarks._runtimes.drive", "--system", system.name,
                   "--plan", plan.to_json(), "--out", str(figures)]  # fmt: skip
        driver = spawn("driver", command, environment=driver_environment,
                       log=workdir / "driver.log")  # fmt: skip
        try:
            code = _wait_for_driver(driver, started.processes)
        finally:
            stop(driver)
        if code != 0:
            logs = "\n".join(f"--- {spawned.name}:\n{spawned.log_tail(1500)}"
                             for spawned in [*started.processes, driver])  # fmt: skip
            raise RuntimeError(f"driver exited {code}\n{logs}")
        record.update(json.loads(figures.read_text()))
    except Exception as exc:
        print(f"round {index}: {system.label} failed: {exc}", file=sys.stderr)
        record["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        with _shielded():
            try:
                if started is not None:
                    system.stop(started, workdir, environment)
            finally:
                leftover = sweep(tag)
                if leftover:
                    record["leftover_pids"] = leftover
                shutil.rmtree(workdir, ignore_errors=True)
    record["load_end"] = os.getloadavg()
    return record


def header(systems: Sequence[System], skipped: dict[str, str], plan: Plan, load: str) -> str:
    sizes = " and ".join(f"{size:,}" for size in plan.sizes)
    lines = [
        "runtimes: the same task (add two numbers, return the sum) on each system, "
        "2 worker processes each",
        f"  {os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}"
        f"; load average at start {load}",
        f"  {plan.rounds} rounds, systems one at a time in an order rotating per round; "
        f"bursts of {sizes} calls; latency: median of {plan.latency_calls} sequential calls",
        f"  warm-up: {plan.warmup_calls} calls and a burst of {plan.warmup_burst}; idle CPU "
        f"over {plan.idle_seconds:g} s after a {plan.settle_seconds:g} s pause; CPU read "
        f"again {plan.tail_seconds:g} s after a burst's last result",
        "  cells: median over rounds (lowest-highest round); vs pooled: the median divided "
        "by the pooled lane's median in this run",
    ]
    lines.append("systems:")
    for system in systems:
        try:
            settings = system.settings()
        except Exception as exc:  # a service gone since the availability check
            settings = f"({type(exc).__name__}: {exc})"
        lines.append(f"  {system.label} [{system.name}]: {settings}")
    for name, reason in skipped.items():
        lines.append(f"  {SYSTEMS[name].label} [{name}]: skipped, {reason}")
    return "\n".join(lines)


def footer(systems: Sequence[System], records: Sequence[dict[str, Any]]) -> str:
    lines = ["what is counted (CPU, RSS, processes) and what the clients report:"]
    for system in systems:
        lines.append(f"  {system.label}: {system.counted}")
        lines.append(f"    counted in its first round: {processes_seen(records, system)}")
        found = facts(records, system)
        if found:
            lines.append("    " + ", ".join(f"{key} {value}" for key, value in found.items()))
    lines.append(
        "  client CPU: the driver process that enqueues and reads results back "
        "(for SQLite systems, its share of the broker work)"
    )
    for record in records:
        if "error" in record:
            first = record["error"].splitlines()[0]
            lines.append(f"  failed: {record['system']} round {record['round']}: {first}")
        if record.get("leftover_pids"):
            lines.append(f"  left processes, ended by PID: {record['system']} round "
                         f"{record['round']}: {record['leftover_pids']}")  # fmt: skip
    return "\n".join(lines)


def load_text() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    plan = build_plan(arguments)
    chosen = choose_systems(arguments.systems)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    skipped = {system.name: reason for system in chosen
               if (reason := system.unavailable()) is not None}  # fmt: skip
    systems = [system for system in chosen if system.name not in skipped]
    load_start = load_text()
    print(header(systems, skipped, plan, load_start), flush=True)
    run_id = uuid.uuid4().hex[:12]
    run_dir = Path(tempfile.mkdtemp(prefix="weft-compat-runtimes-"))
    records: list[dict[str, Any]] = []
    started = time.monotonic()
    interrupted = False
    try:
        for index in range(1, plan.rounds + 1):
            shift = (index - 1) % max(1, len(systems))
            for system in systems[shift:] + systems[:shift]:
                records.append(run_round(system, plan, index, run_dir, run_id))
    except (KeyboardInterrupt, Interrupted) as exc:
        interrupted = True
        print(
            f"interrupted ({str(exc) or 'Ctrl-C'}); reporting the rounds that ended",
            file=sys.stderr,
        )
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    report = Report(systems, records, plan, REFERENCE)
    durable = [system for system in systems if system.durable]
    others = [system for system in systems if not system.durable]
    reference = [system for system in systems if system.name == REFERENCE]
    print()
    if durable:
        print(report.group("durable: an enqueued call is fsynced to disk before enqueue returns",
                           durable))  # fmt: skip
        print()
    if others:
        print(report.group("not durable: a call can be lost with the broker (pooled lane first, "
                           "as the reference)",
                           [*reference, *others]))  # fmt: skip
        print()
    print(footer(systems, records))
    minutes = (time.monotonic() - started) / 60
    print(f"load average at start {load_start}, at end {load_text()}; {minutes:.1f} min")
    if arguments.json is not None:
        arguments.json.write_text(json.dumps({
            "plan": asdict(plan),
            "systems": {system.name: {"label": system.label, "durable": system.durable,
                                      "counted": system.counted} for system in systems},
            "skipped": skipped,
            "load_start": load_start,
            "load_end": load_text(),
            "rounds": records,
        }, indent=1))  # fmt: skip
        print(f"raw figures written to {arguments.json}", file=sys.stderr)
    return 130 if interrupted else 0


if __name__ == "__main__":
    raise SystemExit(main())
