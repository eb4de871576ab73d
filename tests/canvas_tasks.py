"""Tasks the workflow tests run on real Weft (imported by name in the workers)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from weft_compat import weft_task


@weft_task
def add(x: int, y: int) -> int:
    return x + y


@weft_task
def total(values: list[int]) -> int:
    return sum(values)


@weft_task
def collect(values: list[Any], tag: str = "") -> dict[str, Any]:
    return {"values": values, "tag": tag}


@weft_task
def fails(value: Any) -> None:
    raise ValueError(f"failed on {value!r}")


@weft_task
def note(path: str, value: Any = None) -> str:
    """Append one line to `path` (the tests count the lines: how many times it ran)."""
    with Path(path).open("a") as handle:
        handle.write(f"{os.getpid()} {value!r}\n")
    return path


@weft_task
def note_then(value: Any, path: str) -> Any:
    """Note `value` in `path`, then pass it on."""
    with Path(path).open("a") as handle:
        handle.write(f"{value!r}\n")
    return value


@weft_task
def pause(value: Any, seconds: float) -> Any:
    time.sleep(seconds)
    return value


@weft_task
def die_once(value: Any, marker: str) -> Any:
    """SIGKILL this worker the first time (before returning), pass `value` on after."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died\n")
        os.kill(os.getpid(), 9)
    return value


@weft_task(bind=True, autoretry_for=(ConnectionError,), default_retry_delay=0.1)
def flaky_step(self: Any, value: int, marker: str) -> int:
    """Fail with ConnectionError on the first attempt, then return value + 1."""
    if self.request.retries == 0:
        Path(marker).write_text("retried\n")
        raise ConnectionError("first attempt")
    return value + 1
