"""Doorbells: waking a pool's idle processes (or a mover) when work arrives, for free.

An idle pool process does not poll the broker: it waits on a doorbell, a named pipe in
shared memory per pool key and context, and whoever writes work for it (`enqueue`, a
mover, a redelivery) rings the bell after the write: one byte, no broker operation.
The waiter still looks at the broker once a second without a ring, so work from a
writer that does not ring (another host) is found all the same.

A ring with nobody listening costs one failed `open`; a bell is a file of this host, so
processes on other hosts are reached only by that once-a-second look. The pipe is its
owner's, and its group's too when `CONTEXT_MODE` gives the group access to `.weft/`
(web and workers as two users of one group).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import select
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Final

from weft_compat._broker import activity_waiter
from weft_compat._config import context_path, current_settings
from weft_compat.exceptions import WeftCompatError

__all__ = ["Bell", "ring"]

_BASE: Final = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
_lock = threading.Lock()
# A pipe holds 64 KiB of rings at most; a drain reads them this many at a time.
_DRAIN_BYTES: Final = 65536
# Open write ends, per process and bell file.
_writers: dict[tuple[int, Path], int] = {}


@functools.lru_cache(maxsize=256)
def _bell_file(context: str | None, name: str) -> Path:
    where = os.path.realpath(context or os.getcwd())
    digest = hashlib.sha256(f"{where}\0{name}".encode()).hexdigest()[:24]
    return _BASE / f"weft_compat-bell-{digest}"


def _path(name: str) -> Path:
    return _bell_file(context_path(), name)


def ring(name: str, times: int = 1) -> None:
    """Wake one waiter on the bell `name` (`times` waiters); never raises.

    Each ring is one byte and each waiter takes one, so a call wakes one idle process
    rather than all of them.
    """
    path = _path(name)
    key = (os.getpid(), path)
    with _lock:
        fd = _writers.get(key)
        if fd is None:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # No such bell, or nobody listening (ENXIO).
                return
            _writers[key] = fd
        try:
            os.write(fd, b"\0" * times)
        except BlockingIOError:
            pass  # The pipe is full of rings nobody has read yet: they will wake.
        except OSError:
            # The listeners went away (EPIPE), or the bell was replaced: the next ring
            # opens it afresh. The work is written already; a waiter finds it anyway.
            del _writers[key]
            with contextlib.suppress(OSError):
                os.close(fd)


class Bell:
    """The listening end of the bell `name`, for a process that waits for work.

    On a broker that notifies of writes itself (PostgreSQL), a bell for `queue` waits on
    that instead, which reaches across hosts; `ring` is then not needed, but harmless.
    """

    def __init__(self, name: str, queue: str | None = None) -> None:
        self._waiter = activity_waiter(queue) if queue is not None else None
        if self._waiter is not None:
            return
        self.path = _path(name)
        mode = 0o660 if current_settings().CONTEXT_MODE & 0o070 else 0o600
        try:
            os.mkfifo(self.path, mode)
            os.chmod(self.path, mode)  # mkfifo's mode passes through the umask.
        except FileExistsError:
            pass
        if not stat.S_ISFIFO(os.stat(self.path).st_mode):
            raise WeftCompatError(
                f"{str(self.path)!r} is not a named pipe; remove it, and weft_compat "
                "makes its doorbell there again"
            )
        self._read = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        # A write end of its own, so the pipe never reads as closed (which would make
        # every wait return at once) when no ringer has it open.
        self._keep = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a ring; True if rung (one ring is taken)."""
        if self._waiter is not None:
            return self._waiter.wait(max(0.0, timeout))
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._read], [], [], max(0.0, remaining))
            if not readable:
                return False
            try:
                if os.read(self._read, 1):
                    return True
            except BlockingIOError:
                pass  # Every waiter saw the ring; another took it. Wait on.
            if remaining <= 0:
                return False

    def drain(self) -> None:
        """Take every ring waiting in the bell, for a waiter that found no work: they were
        rung for calls taken since. (A ring for a call still to come follows that call's
        commit, which the waiter's look at the broker's data version sees.)"""
        if self._waiter is not None:
            return
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, _DRAIN_BYTES):
                pass

    def close(self) -> None:
        """Stop listening."""
        if self._waiter is not None:
            self._waiter.close()
            return
        for fd in (self._read, self._keep):
            with contextlib.suppress(OSError):
                os.close(fd)
