"""The seam every benchmarked system implements: start its processes, stop them, connect.

A `System` has two sides. The benchmark's main process calls `start` and `stop`, which
use only the standard library and the benchmark's own helpers; the driver subprocess
that times the calls calls `connect`, which imports the system's client library, and
gets a `Client` that enqueues the trivial call and reads its result back.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Final, Protocol

from benchmarks._runtimes.procs import TAG_ENV_VAR
from benchmarks._runtimes.spawn import ROOT, Spawned, stop

RESULT_TIMEOUT: Final = 300.0
# Nothing the benchmark runs may pick up the caller's project or Weft context by accident.
_DROPPED_PREFIXES: Final = ("WEFT_", "DJANGO_SETTINGS_MODULE", "CELERY_")


class Client(Protocol):
    """The driver's handle on a running system: one call in, its value out."""

    def submit(self, x: int, y: int) -> object:
        """Enqueue `add(x, y)`; returns the system's own handle for the call."""
        ...

    def wait(self, handle: object) -> object:
        """Wait for the call behind `handle` and return its value."""
        ...

    def facts(self) -> dict[str, str]:
        """What the client can tell about the setup (durability flags, versions)."""
        ...


@dataclass(slots=True)
class Started:
    """A running system: its processes, the broker servers counted, the client's env."""

    processes: list[Spawned]
    broker_pids: list[int] = field(default_factory=list)
    client_environment: dict[str, str] = field(default_factory=dict)


class System(ABC):
    """One runtime under test; subclasses set the class attributes and the three methods."""

    name: ClassVar[str]  # what `--systems` takes
    label: ClassVar[str]
    durable: ClassVar[bool]
    counted: ClassVar[str]  # which processes its CPU, RSS and process count cover

    def unavailable(self) -> str | None:
        """Why the system cannot run here (a service that does not answer), or None."""
        return None

    def settings(self) -> str:
        """One line on how it is set up (workers, broker, result store, polling)."""
        return ""

    @abstractmethod
    def start(self, workdir: Path, environment: dict[str, str]) -> Started:
        """Start the system's processes with `environment`, its files under `workdir`."""

    def stop(self, started: Started, workdir: Path, environment: dict[str, str]) -> None:
        """Stop what `start` started, last first (the benchmark then sweeps its tag)."""
        del workdir, environment
        for spawned in reversed(started.processes):
            stop(spawned)

    @abstractmethod
    def connect(self) -> Client:
        """In the driver: import the client library and return a `Client`."""


def base_environment(tag: str) -> dict[str, str]:
    """The environment of every process of a system: this one's, cleaned, plus the tag."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_DROPPED_PREFIXES) and key != TAG_ENV_VAR
    }
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment.update({"PYTHONPATH": path, TAG_ENV_VAR: tag, "PYTHONUNBUFFERED": "1"})
    return environment
