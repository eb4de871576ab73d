"""Processes by PID: telling one process from a later one with its PID, and killing safely.

A PID alone can name a different process once the first has gone, so the harness keeps
a PID together with its start time, and kills through a pidfd after checking that the
process is still the one it means (in the network namespace it means).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

__all__ = [
    "NamespaceId",
    "ProcessId",
    "is_running",
    "kill_in_namespace",
    "namespace_id",
    "process_id",
]

# A process as (pid, start time in clock ticks since boot), which no later process shares.
type ProcessId = tuple[int, int]
# A network namespace as (device, inode) of its nsfs file.
type NamespaceId = tuple[int, int]


def process_id(pid: int) -> ProcessId | None:
    """The running process `pid` as a ProcessId; None if none runs (or it is a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; fields after it do not.
    fields = stat.rsplit(b")", 1)[-1].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return pid, int(fields[19])


def is_running(process: ProcessId) -> bool:
    """Whether the very process `process` names still runs."""
    return process_id(process[0]) == process


def namespace_id(path: str) -> NamespaceId | None:
    """The network namespace that `path` (`/run/netns/NAME`, `/proc/PID/ns/net`) names."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def kill_in_namespace(pid: int, namespace: NamespaceId) -> bool:
    """SIGKILL `pid` if it is (still) a process of `namespace`; whether it was signalled."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        # Checked after the pidfd is open, so the signal cannot reach a later process
        # that was given the same PID.
        if namespace_id(f"/proc/{pid}/ns/net") != namespace:
            return False
        signal.pidfd_send_signal(handle, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False
    finally:
        os.close(handle)
