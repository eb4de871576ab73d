"""weft_compat's pooled lane, driven only through its public surface.

`weft-compat worker -Q bench -c 2` runs in a fresh temporary Weft context (SQLite
broker, as it runs by default: WAL, `synchronous=FULL`); calls go in with
`add.using(queue="bench").enqueue(x, y)` and come back with `WeftSubmission.wait()`.
Stopped with SIGTERM (the worker shuts its pool down) and then `weft-compat stop` for
anything else of the context.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

from benchmarks._runtimes.spawn import spawn, stop, venv_script, wait_until
from benchmarks._systems import _env
from benchmarks._systems._base import RESULT_TIMEOUT, Started, System

if TYPE_CHECKING:
    from weft_compat import WeftSubmission

QUEUE: Final = "bench"
CONCURRENCY: Final = 2
TASKS_MODULE: Final = "benchmarks._systems.pooled_tasks"
START_TIMEOUT: Final = 60.0


class PooledClient:
    """Enqueues into the `bench` queue; reads each value back with `wait()`."""

    def __init__(self) -> None:
        from benchmarks._systems.pooled_tasks import add

        self._task = add.using(queue=QUEUE)

    def submit(self, x: int, y: int) -> WeftSubmission:
        return self._task.enqueue(x, y)

    def wait(self, handle: object) -> object:
        submission: WeftSubmission = handle  # type: ignore[assignment]
        return submission.wait(timeout=RESULT_TIMEOUT)

    def facts(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"weft": version("weft"), "simplebroker": version("simplebroker")}


def _pool_live(context: Path, environment: dict[str, str]) -> bool:
    status = subprocess.run(
        [venv_script("weft-compat"), "worker", "-Q", QUEUE, "--status", "--context", str(context)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return bool(status.stdout.strip())


class PooledLane(System):
    name: ClassVar[str] = "pooled"
    label: ClassVar[str] = "weft_compat pooled lane"
    durable: ClassVar[bool] = True
    counted: ClassVar[str] = (
        "every process of the Weft context (the `weft-compat worker` command, its pool "
        "processes, anything they start); the broker is SQLite inside them and the client"
    )

    def settings(self) -> str:
        return (
            f"weft-compat worker -Q {QUEUE} -c {CONCURRENCY} (default prefetch), fresh Weft "
            "context, SQLite WAL synchronous=FULL; results via WeftSubmission.wait()"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        context = workdir / "context"
        context.mkdir()
        environment = {**environment, _env.WEFT_CONTEXT: str(context)}
        command = [
            venv_script("weft-compat"),
            "worker",
            "-Q", QUEUE,
            "-c", str(CONCURRENCY),
            "--context", str(context),
            "-I", TASKS_MODULE,
        ]  # fmt: skip
        worker = spawn("weft-compat worker", command, environment=environment,
                       log=workdir / "worker.log")  # fmt: skip
        # A call enqueued before the worker's pool is live would start a second pool on
        # demand, and the queue would have four processes instead of two.
        wait_until(lambda: _pool_live(context, environment), START_TIMEOUT, "the bench pool")
        return Started([worker], client_environment={_env.WEFT_CONTEXT: str(context)})

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        for spawned in started.processes:
            stop(spawned, timeout=60)
        context = workdir / "context"
        subprocess.run(
            [venv_script("weft-compat"), "stop", "--context", str(context), "--grace", "10"],
            env={**environment, _env.WEFT_CONTEXT: str(context)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )

    def connect(self) -> PooledClient:
        return PooledClient()
