"""Who serves: registry entries of pool masters and movers, held by a lease in the broker.

A pool master (or a mover) is a process of its own, on whichever host started it. It
has one entry in its registry queue (`{"tid", "host", "pid", "concurrency", ...}`), and
renews it every `HEARTBEAT_SECONDS` by writing it again and deleting the old message:
the entry's message id is the time of its last renewal. An entry renewed less than
`LEASE_SECONDS` ago is live, unless its process is on this host and gone (then it is
dead at once, without waiting for the lease). A host whose processes all die, or whose
link to the broker is cut, lets its leases lapse, and the others treat it as dead: its
calls are released as the pooled lane's rules say (migration_guide/workers.md).

A worker that is leaving (idle, see `_idle`) keeps its entry, marked `leaving`: it still
runs and holds calls, so it is live, but enqueuers no longer count on it.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
from dataclasses import dataclass, field, replace
from typing import Any, Final

from weft_compat._broker import get_broker
from weft_compat._config import DEFAULT_PREFETCH_MULTIPLIER
from weft_compat._worker_config import WorkerConfig

__all__ = [
    "HEARTBEAT_SECONDS",
    "LEASE_SECONDS",
    "WorkerEntry",
    "entries_in",
    "heartbeat",
    "host_id",
    "is_live",
    "live_ids",
    "pid_alive",
    "register",
    "unregister",
]

HEARTBEAT_SECONDS: Final = 2.0
LEASE_SECONDS: Final = 10.0
_READ_LIMIT: Final = 1000


@functools.cache
def host_id() -> str:
    """This host's name in registries: the host name and the network namespace.

    Two processes with the same id see each other's PIDs; a network namespace (a
    container, a test's extra host) counts as a host of its own.
    """
    try:
        namespace = os.stat("/proc/self/ns/net").st_ino
    except OSError:
        namespace = 0
    return f"{socket.gethostname()}:{namespace}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID runs (and is not a zombie) on this host."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[-1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in (b"Z", b"X")


@dataclass(frozen=True, slots=True)
class WorkerEntry:
    """One registered pool master or mover."""

    tid: str
    concurrency: int
    autostarted: bool
    message_id: int
    prefetch_multiplier: int = DEFAULT_PREFETCH_MULTIPLIER
    config: WorkerConfig = field(default_factory=WorkerConfig)
    host: str = ""
    pid: int = 0
    leaving: bool = False
    # The calls its processes run (a pool master's), as of its last renewal: how a
    # handle on another host, which cannot read the master's slot table, tells a running
    # call from one claimed ahead.
    running: tuple[int, ...] = ()

    def to_json(self) -> str:
        """The registry message's body."""
        return json.dumps(
            {
                "tid": self.tid,
                "concurrency": self.concurrency,
                "prefetch_multiplier": self.prefetch_multiplier,
                "autostarted": self.autostarted,
                "config": self.config.to_data(),
                "host": self.host,
                "pid": self.pid,
                "leaving": self.leaving,
                "running": list(self.running),
            }
        )

    @classmethod
    def from_message(cls, body: str, message_id: int) -> WorkerEntry | None:
        """Rebuild an entry; None for a message that is not one."""
        try:
            data: Any = json.loads(body)
            return cls(
                tid=str(data["tid"]),
                concurrency=int(data.get("concurrency", 0)),
                autostarted=bool(data.get("autostarted")),
                message_id=message_id,
                prefetch_multiplier=int(
                    data.get("prefetch_multiplier", DEFAULT_PREFETCH_MULTIPLIER)
                ),
                config=WorkerConfig.from_data(data.get("config")),
                host=str(data.get("host", "")),
                pid=int(data.get("pid", 0)),
                leaving=bool(data.get("leaving")),
                running=tuple(int(call) for call in data.get("running") or ()),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def is_live(entry: WorkerEntry, *, now_ns: int | None = None) -> bool:
    """Whether the entry's worker runs: its lease is fresh, and on this host its PID."""
    now = time.time_ns() if now_ns is None else now_ns
    if now - entry.message_id >= LEASE_SECONDS * 10**9:
        return False
    if entry.host == host_id():
        return pid_alive(entry.pid)
    return True


def entries_in(registry: str) -> list[WorkerEntry]:
    """The entry of each worker in the registry queue `registry`, oldest renewal first.

    A renewal writes its new message before deleting the old one; a worker read between
    the two is listed once, by its newest entry.
    """
    newest = {entry.tid: entry for entry in _every_entry(registry)}
    return sorted(newest.values(), key=lambda entry: entry.message_id)


def _every_entry(registry: str) -> list[WorkerEntry]:
    found = []
    for body, message_id in get_broker().peek_many(registry, _READ_LIMIT, with_timestamps=True):
        entry = WorkerEntry.from_message(body, message_id)
        if entry is not None:
            found.append(entry)
    return found


def register(registry: str, entry: WorkerEntry) -> WorkerEntry:
    """Write `entry` to `registry`; returns it with the message id it now has."""
    message_id = get_broker().write(registry, entry.to_json())
    return replace(entry, message_id=message_id)


def heartbeat(registry: str, entry: WorkerEntry, **changes: Any) -> WorkerEntry:
    """Renew `entry`'s lease (with `changes` applied); returns the renewed entry.

    The new message is written before the old one is deleted, so the worker never
    looks absent; every other entry with its tid goes too (a starter's provisional one).
    """
    renewed = register(registry, replace(entry, **changes))
    stale = [
        other.message_id
        for other in _every_entry(registry)
        if other.tid == entry.tid and other.message_id != renewed.message_id
    ]
    if stale:
        get_broker().delete_message_ids(registry, stale)
    return renewed


def unregister(registry: str, tid: str) -> None:
    """Delete every entry of the worker `tid` from `registry`."""
    gone = [entry.message_id for entry in _every_entry(registry) if entry.tid == tid]
    if gone:
        get_broker().delete_message_ids(registry, gone)


def live_ids(registries: list[str]) -> set[str]:
    """The tids of the live workers listed in any of `registries`."""
    now = time.time_ns()
    return {
        entry.tid
        for registry in registries
        for entry in entries_in(registry)
        if is_live(entry, now_ns=now)
    }
