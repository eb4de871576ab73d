"""The pooled lane's side of `benchmarks.runtimes`: the trivial task as a weft_compat task."""

from __future__ import annotations

from weft_compat import weft_task


@weft_task(name="benchmarks.runtimes.add")
def add(x: int, y: int) -> int:
    """Add two numbers: the body every system in the benchmark runs."""
    return x + y
