"""Running the system programs the harness drives: `ip`, `runuser`, PostgreSQL's tools."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

__all__ = ["HarnessError", "ip", "run"]


class HarnessError(RuntimeError):
    """The harness could not build, change or remove one of its hosts or its PostgreSQL."""


def run(
    argv: Sequence[str], *, check: bool = True, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to completion with its output captured; raise HarnessError if it fails."""
    result = subprocess.run(
        list(argv),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        said = (result.stderr or result.stdout).strip()
        raise HarnessError(f"{shlex.join(argv)!r} exited {result.returncode}: {said}")
    return result


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `ip ARGS...` (iproute2)."""
    return run(["ip", *args], check=check)
