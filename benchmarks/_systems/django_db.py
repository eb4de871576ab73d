"""Django 6's `django.tasks` with django-tasks-db's `db_worker`, on SQLite.

The package index has `django-tasks-db` (the database backend split out of the
`django-tasks` backport; on Django 6 it runs on the built-in `django.tasks`).
`db_worker` runs one task at a time in one process and has no concurrency option, so
the benchmark starts two of them, each with its own worker id, after `migrate` has
made the round's database. They poll every second when idle (`--interval`, default 1).
`django.tasks` has no blocking wait: the client calls `TaskResult.refresh()` every
5 ms until the result is finished.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar, Final

from benchmarks._runtimes.spawn import ROOT, spawn
from benchmarks._systems import _env
from benchmarks._systems._base import RESULT_TIMEOUT, Started, System

WORKERS: Final = 2
SETTINGS: Final = "benchmarks._systems.django_settings"
POLL_SECONDS: Final = 0.005


class DjangoClient:
    """`add.enqueue(x, y)`; polls `refresh()` until the result is finished."""

    def __init__(self) -> None:
        import django

        django.setup()
        from benchmarks._systems.django_tasks import add

        self._task: Any = add

    def submit(self, x: int, y: int) -> object:
        return self._task.enqueue(x, y)

    def wait(self, handle: object) -> object:
        result: Any = handle
        deadline = time.monotonic() + RESULT_TIMEOUT
        while not result.is_finished:
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {result.id} not finished after {RESULT_TIMEOUT:g} s")
            time.sleep(POLL_SECONDS)
            result.refresh()
        return result.return_value

    def facts(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"django": version("django"), "django-tasks-db": version("django-tasks-db")}


class DjangoDbWorker(System):
    name: ClassVar[str] = "django"
    label: ClassVar[str] = "Django 6 db_worker + SQLite"
    durable: ClassVar[bool] = True
    counted: ClassVar[str] = (
        "the two db_worker processes; the broker is SQLite inside them and the client"
    )

    def settings(self) -> str:
        return (
            f"{WORKERS} x manage.py db_worker (django-tasks-db; one task at a time each, "
            "polling every 1 s when idle), SQLite WAL synchronous=FULL; client polls 5 ms"
        )

    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        variables = {
            _env.DJANGO_DATABASE: str(workdir / "django.sqlite3"),
            "DJANGO_SETTINGS_MODULE": SETTINGS,
        }
        environment = {**environment, **variables}
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
            cwd=ROOT, env=environment, check=True, timeout=120,
        )  # fmt: skip
        workers = [
            spawn(f"db_worker {index}",
                  [sys.executable, "-m", "django", "db_worker", "--verbosity", "0",
                   "--worker-id", f"bench-{index}"],
                  environment=environment, log=workdir / f"db_worker-{index}.log")
            for index in range(WORKERS)
        ]  # fmt: skip
        return Started(workers, client_environment=variables)

    def connect(self) -> DjangoClient:
        return DjangoClient()
