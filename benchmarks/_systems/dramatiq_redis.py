"""Dramatiq + Redis: `dramatiq ... -p 2 -t 1`, results through its Results middleware on Redis.

Runs on the machine's Redis (nothing on disk), database 13, flushed before and after a
round. Results are read with `Message.get_result(block=True)`, a blocking Redis pop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Final

from benchmarks._runtimes.procs import listening_pid
from benchmarks._runtimes.spawn import spawn, venv_script
from benchmarks._systems import _env, _redis
from benchmarks._systems._base import RESULT_TIMEOUT, Started, System

PROCESSES: Final = 2
THREADS: Final = 1
REDIS_URL: Final = _redis.url(database=13)


class DramatiqClient:
    """Sends the actor's message; reads each value with `get_result(block=True)`."""

    def __init__(self) -> None:
        from benchmarks._systems.dramatiq_app import add

        self._actor: Any = add

    def submit(self, x: int, y: int) -> object:
        return self._actor.send(x, y)

    def wait(self, handle: object) -> object:
        message: Any = handle
        return message.get_result(block=True, timeout=int(RESULT_TIMEOUT * 1000))

    def facts(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"dramatiq": version("dramatiq"), "redis-py": version("redis")}


class DramatiqRedis(System):
    name: ClassVar[str] = "dramatiq"
    label: ClassVar[str] = "Dramatiq + Redis"
    durable: ClassVar[bool] = False
    counted: ClassVar[str] = (
        "the dramatiq command and its worker processes, plus the machine's redis-server "
        "(found by its port; it serves nothing else while the benchmark runs)"
    )

    def unavailable(self) -> str | None:
        return _redis.problem(REDIS_URL)

    def settings(self) -> str:
        return (
            f"dramatiq -p {PROCESSES} -t {THREADS}, RedisBroker + Results(RedisBackend) on "
            f"the machine's Redis {_redis.server_version(REDIS_URL)} (no persistence), db 13"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        _redis.flush(REDIS_URL)
        queue = f"bench_{workdir.name}"
        variables = {_env.DRAMATIQ_REDIS_URL: REDIS_URL, _env.DRAMATIQ_QUEUE: queue}
        command = [venv_script("dramatiq"), "benchmarks._systems.dramatiq_app",
                   "-p", str(PROCESSES), "-t", str(THREADS), "-Q", queue]  # fmt: skip
        worker = spawn("dramatiq", command, environment={**environment, **variables},
                       log=workdir / "dramatiq.log")  # fmt: skip
        server = listening_pid(_redis.MACHINE_PORT)
        return Started([worker], [server] if server else [], variables)

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        super().stop(started, workdir, environment)
        _redis.flush(REDIS_URL)

    def connect(self) -> DramatiqClient:
        return DramatiqClient()
