"""A task module no test imports up front: `get_task` imports it by the task's name."""

from __future__ import annotations

from weft_compat import weft_task


@weft_task
def double(value: int) -> int:
    return value * 2
