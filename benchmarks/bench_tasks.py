"""Trivial tasks for the benchmarks, registered with weft_compat and with weft-django."""

from __future__ import annotations

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
