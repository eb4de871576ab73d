"""Trivial tasks for the benchmarks, registered with weft_compat and with weft-django."""

from __future__ import annotations

from typing import Any

from weft_compat import weft_task


def _noop_body(value: int) -> int:
    return value


@weft_task(name="benchmarks.noop")
def noop(value: int) -> int:
    return _noop_body(value)


def register_weft_django_twin() -> object:
    """The same function as a weft-django task (needs Django configured with weft_django)."""
    from weft_django import weft_task as weft_django_task

    @weft_django_task(name="benchmarks.noop_weft_django")
    def noop_weft_django(value: int) -> int:
        return _noop_body(value)

    return noop_weft_django


@weft_task(name="benchmarks.started_at")
def started_at() -> float:
    """When the call started (Unix seconds); a deferred call's lateness is this minus its due."""
    import time

    return time.time()


@weft_task(name="benchmarks.retries_once", bind=True)
def retries_once(self: Any, value: int) -> int:
    """Asks for one retry due at once, then returns `value`: the cost of one retry attempt."""
    if self.request.retries == 0:
        raise self.retry(countdown=0)
    return value


@weft_task
def total(values: list[int]) -> int:
    """Sum a chord header's results: the workflow benchmark's callback."""
    return sum(values)


@weft_task
def increment(value: int) -> int:
    """Add one: each link of the workflow benchmark's chain."""
    return value + 1
