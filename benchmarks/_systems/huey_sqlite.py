"""Huey on SQLite: `huey_consumer -w 2 -k process`, results in Huey's result store.

The consumer and the client share one SQLite file in the round's temp directory
(durable: WAL, `synchronous=FULL`). Results are read with Huey's own
`Result.get(blocking=True)`, which polls the store from 50 ms, backing off to 1 s.
Stopped with SIGINT, Huey's graceful signal.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any, ClassVar, Final

from benchmarks._runtimes.spawn import spawn, venv_script
from benchmarks._systems import _env
from benchmarks._systems._base import RESULT_TIMEOUT, Started, System

WORKERS: Final = 2
HUEY_INSTANCE: Final = "benchmarks._systems.huey_app.huey"


class HueyClient:
    """Calls the Huey task (which enqueues it); reads each value with `get(blocking=True)`."""

    def __init__(self) -> None:
        from benchmarks._systems.huey_app import add

        self._task: Any = add

    def submit(self, x: int, y: int) -> object:
        return self._task(x, y)

    def wait(self, handle: object) -> object:
        result: Any = handle
        return result.get(blocking=True, timeout=RESULT_TIMEOUT)

    def facts(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"huey": version("huey")}


class HueySqlite(System):
    name: ClassVar[str] = "huey"
    label: ClassVar[str] = "Huey + SQLite"
    durable: ClassVar[bool] = True
    counted: ClassVar[str] = (
        "huey_consumer and its worker processes; the broker is SQLite inside them and the client"
    )

    def settings(self) -> str:
        return (
            f"huey_consumer -w {WORKERS} -k process (polling 0.1 s backing off to 10 s), "
            "SqliteHuey fsync=True (WAL, synchronous=FULL); Result.get(blocking=True)"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        database = str(workdir / "huey.db")
        environment = {**environment, _env.HUEY_DATABASE: database}
        command = [venv_script("huey_consumer"), HUEY_INSTANCE, "-w", str(WORKERS),
                   "-k", "process", "-q"]  # fmt: skip
        consumer = spawn("huey_consumer", command, environment=environment,
                         log=workdir / "huey.log", stop_signal=signal.SIGINT)  # fmt: skip
        return Started([consumer], client_environment={_env.HUEY_DATABASE: database})

    def connect(self) -> HueyClient:
        return HueyClient()
