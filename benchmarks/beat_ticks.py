"""Periodic ticks: how late 100 entries due in the same second start, and what an idle
schedule costs each scheduler.

One run, in a fresh temporary Weft context, with `weft-compat beat` processes ticking
the schedule `benchmarks.beat_schedule` gives them (the mover they start ticks it too):

- lateness: `--entries` entries (default 100) due every 5 s, all at the same moments,
  for `--ticks` ticks (default 3), once with one `beat` and once with three side by
  side. Each call returns when it started; reported are p50, p99 and max of claim minus
  due (the schedulers' part) and of start minus due (through the mover and a pool of
  two processes), and how many calls ran per tick (exactly `--entries`).
- idle cost: `--entries` entries due every minute, no-op tasks, one `beat`; the CPU
  time its process and the mover's use over `--idle-seconds` (default 120), as a share
  of one core and in CPU milliseconds per minute.

    python -m benchmarks.beat_ticks [--entries 100] [--ticks 3] [--idle-seconds 120]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVERY: Final = 5.0
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def start_beats(count: int, kind: str, entries: int) -> list[subprocess.Popen[bytes]]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_BEAT": kind,
        "BENCH_BEAT_ENTRIES": str(entries),
        "BENCH_BEAT_EVERY": str(EVERY),
    }
    command = [sys.executable, "-m", "weft_compat", "beat", "-I", "benchmarks.beat_schedule"]
    return [
        subprocess.Popen(command, env=environment, cwd=ROOT, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]


def stop_beats(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def lateness(schedulers: int, entries: int, ticks: int) -> None:
    from weft_compat import WeftSubmission
    from weft_compat.beat._ticks import latest_claims

    beats = start_beats(schedulers, "lateness", entries)
    # Let the beats start and the first ticks pass (pools start), then count the next ones.
    first = (time.time() // EVERY + 3) * EVERY
    last = first + (ticks - 1) * EVERY
    time.sleep(max(0.0, last - time.time()) + 1.0)
    stop_beats(beats)
    claimed, started, per_tick = [], [], Counter[float]()
    for index in range(entries):
        for claim in latest_claims(f"entry {index}", 50):
            if first <= claim.due <= last:
                value = WeftSubmission.from_tid(claim.call_id).result(timeout=600).value
                claimed.append(claim.claimed_at - claim.due)
                started.append(float(value) - claim.due)
                per_tick[claim.due] += 1
    print(f"\n{schedulers} scheduler(s): {sorted(per_tick.values())} calls per tick")
    for label, values in (("claimed", claimed), ("started", started)):
        ms = [value * 1000 for value in values]
        print(
            f"  {label:<8} {len(ms):>5} calls  p50 {percentile(ms, 0.5):>7.1f} ms  "
            f"p99 {percentile(ms, 0.99):>7.1f} ms  max {max(ms):>7.1f} ms"
        )


def idle_cost(entries: int, seconds: float) -> None:
    from weft_compat.due import live_movers

    [beat] = start_beats(1, "idle", entries)
    time.sleep(5.0)  # Published, mover started, pools up.
    movers = [entry.pid for entry in live_movers()]
    pids = {"beat": beat.pid, **{f"mover {n}": pid for n, pid in enumerate(movers)}}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(seconds)
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    stop_beats([beat])
    print(f"\nIdle schedule: {entries} entries due every minute, over {seconds:g} s")
    for name in pids:
        used = after[name] - before[name]
        print(
            f"  {name:<8} {used * 1000 / (seconds / 60):>8.1f} CPU ms per minute  "
            f"{used / seconds * 100:>6.3f} % of a core"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="weft-compat-beat-bench-"))
    os.environ["WEFT_COMPAT_CONTEXT"] = str(workdir)
    try:
        print(f"1-min load at the start: {os.getloadavg()[0]:.2f}")
        print(f"Lateness: {arguments.entries} entries due every {EVERY:g} s at the same moments")
        for schedulers in (1, 3):
            lateness(schedulers, arguments.entries, arguments.ticks)
        idle_cost(arguments.entries, arguments.idle_seconds)
        print(f"\n1-min load at the end: {os.getloadavg()[0]:.2f}")
    finally:
        print("cleaning up: movers, pools, Weft manager, temp dir ...", file=sys.stderr)
        from weft_compat.shutdown import stop_context

        stop_context(grace=60)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
