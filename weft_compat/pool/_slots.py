"""The memory a pool master shares with its processes: one slot per process.

Each slot holds the id of the call the process runs (0 when idle) and that call's hard
deadline (`time.monotonic()`, which is system-wide on Linux, 0 for none); a header
word asks every process to stop. It is a small file mapped by all of them, so a
process publishes a call with two stores and the master reads without a message.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["SlotTable", "running_call", "slot_file"]

_WORD: Final = 8


def slot_file(master_tid: str) -> Path:
    """Where the slot table of master `master_tid` lives."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    return base / f"weft_compat-pool-{master_tid}"


def running_call(master_tid: str, slot: int) -> int | None:
    """The call `slot` of master `master_tid` runs (0: none), read from any process.

    None when the table is not on this machine (a handle on another host) or is gone.
    """
    try:
        fd = os.open(slot_file(master_tid), os.O_RDONLY)
    except OSError:
        return None
    try:
        word = os.pread(fd, _WORD, _WORD * (1 + slot))
    finally:
        os.close(fd)
    return int(struct.unpack("q", word)[0]) if len(word) == _WORD else None


class SlotTable:
    """`size` slots of (call id, deadline) plus a stop flag, in a shared mapped file."""

    def __init__(self, path: Path, size: int, *, create: bool) -> None:
        self.path = path
        self.size = size
        length = _WORD * (1 + 2 * size)
        flags = os.O_RDWR | (os.O_CREAT | os.O_TRUNC if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            if create:
                os.ftruncate(fd, length)
            self._map = mmap.mmap(fd, length)
        finally:
            os.close(fd)
        self._ids = memoryview(self._map)[_WORD : _WORD * (1 + size)].cast("q")
        self._deadlines = memoryview(self._map)[_WORD * (1 + size) :].cast("d")
        self._flag = memoryview(self._map)[:_WORD].cast("q")

    @property
    def stopping(self) -> bool:
        """Whether the processes are asked to finish their call and exit."""
        return bool(self._flag[0])

    def request_stop(self) -> None:
        """Ask every process to finish its current call and exit."""
        self._flag[0] = 1

    def publish(self, slot: int, call_id: int, deadline: float) -> None:
        """Record that `slot` runs `call_id` until `deadline` (0: no hard limit)."""
        self._deadlines[slot] = deadline
        self._ids[slot] = call_id

    def clear(self, slot: int) -> None:
        """Record that `slot` is idle."""
        self._ids[slot] = 0
        self._deadlines[slot] = 0.0

    def call(self, slot: int) -> tuple[int, float]:
        """The call `slot` runs (0 when idle) and its deadline."""
        return int(self._ids[slot]), float(self._deadlines[slot])

    def remove(self) -> None:
        """Delete the file (the master does, on its way out)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
