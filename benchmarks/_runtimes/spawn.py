"""Starting a system's processes and stopping them again, by PID.

Every process starts in its own session (so a Ctrl-C at the terminal reaches only the
benchmark, which then stops everything itself), with the system's tag in its
environment, its output in a log file of the round's temp directory. Stopping sends the
process its own graceful signal, waits, then SIGKILLs its process group; `sweep` ends
whatever else still carries the tag (a daemon that left the group), one PID at a time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from benchmarks._runtimes.procs import tagged_pids

ROOT: Final = Path(__file__).resolve().parent.parent.parent
STOP_TIMEOUT: Final = 30.0


@dataclass(frozen=True, slots=True)
class Spawned:
    """A process the benchmark started: its handle, log and graceful stop signal."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""


def venv_script(name: str) -> str:
    """A console script installed next to this interpreter (huey_consumer, dramatiq...)."""
    return str(Path(sys.executable).parent / name)


def spawn(
    name: str,
    command: Sequence[str],
    *,
    environment: Mapping[str, str],
    log: Path,
    stop_signal: int = signal.SIGTERM,
) -> Spawned:
    """Start `command` from the repository root in a session of its own."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Spawned(name, process, log, stop_signal)


def stop(spawned: Spawned, timeout: float = STOP_TIMEOUT) -> None:
    """Graceful signal, then SIGKILL to the process group after `timeout` seconds."""
    process = spawned.process
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.kill(process.pid, spawned.stop_signal)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            print(f"{spawned.name} ({process.pid}) did not stop; killing it", file=sys.stderr)
            _kill_group(process.pid)
            process.wait()
    # The group id stays taken while any member lives, so what is left in it is ours.
    _kill_group(process.pid)


def _kill_group(group: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def sweep(tag: str, exclude: Iterable[int] = (), grace: float = 5.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process still carrying `tag`; returns their PIDs."""
    skipped = {os.getpid(), *exclude}
    leftover = tagged_pids(tag, skipped)
    for pid in leftover:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and tagged_pids(tag, skipped):
        time.sleep(0.1)
    for pid in tagged_pids(tag, skipped):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftover


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `ready` until it is true; raises `TimeoutError` naming `what`."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:g} s")
        time.sleep(0.05)
