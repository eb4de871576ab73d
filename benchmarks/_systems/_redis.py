"""Redis for the benchmark: the machine's server (nothing on disk) and a durable one of its own.

The machine's Redis on 127.0.0.1:6379 serves the non-durable pairs, each in a database
number of its own that is flushed before and after a round. The durable pair gets a
`redis-server` started here on a free loopback port with `--appendonly yes
--appendfsync always` (every write is fsynced to the append-only file before Redis
answers) and its files in the round's temp directory; it is stopped by PID.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Final

from benchmarks._runtimes.spawn import Spawned, spawn, wait_until

HOST: Final = "127.0.0.1"
MACHINE_PORT: Final = 6379
START_TIMEOUT: Final = 20.0


def url(port: int = MACHINE_PORT, database: int = 0) -> str:
    return f"redis://{HOST}:{port}/{database}"


def problem(redis_url: str) -> str | None:
    """Why Redis at `redis_url` cannot be used, or None when it answers PING."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {redis_url} does not answer ({type(exc).__name__}: {exc})"
    return None


def flush(redis_url: str) -> None:
    """Empty the one database `redis_url` names (FLUSHDB, never FLUSHALL)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def server_version(redis_url: str) -> str:
    import redis

    info = redis.Redis.from_url(redis_url).info("server")
    return str(info.get("redis_version", "?"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def durable_server_problem() -> str | None:
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH"
    return None


def start_durable_server(workdir: Path, environment: dict[str, str]) -> tuple[Spawned, int]:
    """A `redis-server` fsyncing every write, on a free port; returns it and the port."""
    directory = workdir / "redis"
    directory.mkdir()
    port = free_port()
    command = [
        "redis-server",
        "--port", str(port),
        "--bind", HOST,
        "--dir", str(directory),
        "--appendonly", "yes",
        "--appendfsync", "always",
        "--save", "",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    server = spawn("redis-server", command, environment=environment, log=workdir / "redis.log")
    wait_until(lambda: problem(url(port)) is None, START_TIMEOUT, f"redis-server on port {port}")
    return server, port
