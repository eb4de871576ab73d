"""Huey's side of `benchmarks.runtimes`: a SqliteHuey and the trivial task.

`fsync=True` sets `synchronous=FULL` on Huey's WAL database, the pooled lane's SQLite
setting, so the two durable SQLite systems sync alike. The database path comes from
the environment, set per round by the benchmark.
"""

from __future__ import annotations

import os

from huey import SqliteHuey  # type: ignore[import-untyped]

from benchmarks._systems import _env

huey = SqliteHuey(name="weft_compat_bench", filename=os.environ[_env.HUEY_DATABASE], fsync=True)


def _add(x: int, y: int) -> int:
    """Add two numbers: the body every system in the benchmark runs."""
    return x + y


# Registered by call: Huey's decorator carries no type information.
add = huey.task(name="benchmarks.runtimes.add")(_add)
