"""The one place that holds a broker handle, and the queue names weft_compat uses.

Weft's `client.queues` opens a queue per operation (about 3 ms each); the pooled lane
and the call records need many small operations, so each thread keeps one broker
handle from Weft's public `WeftContext.broker()` and reuses it (0.05 to 0.5 ms per
operation). The handle is typed by the `Broker` protocol below: the handful of broker
operations weft_compat relies on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, cast, overload

from weft_compat._client import client_key, get_client, unsynced_context

if TYPE_CHECKING:
    from weft.client import WeftContext

__all__ = [
    "DUE_QUEUE",
    "MOVER_BELL",
    "MOVER_REGISTRY",
    "OPEN_WORKFLOWS",
    "Broker",
    "Waiter",
    "activity_waiter",
    "call_record",
    "claim_broker",
    "claimed_prefix",
    "claimed_queue",
    "control_queue",
    "get_broker",
    "join_prefix",
    "join_queue",
    "pending_queue",
    "pool_bell",
    "pool_key",
    "registry_queue",
    "running_queue",
    "wait_for_change",
    "workflow_prefix",
    "workflow_queue",
]

PREFIX: Final = "weft_compat"
# Broker queue names allow letters, digits, `.`, `_` and `-` only.
POOL_KEY_SEPARATOR: Final = "__settings__"


def pool_key(queue: str, settings_module: str | None) -> str:
    """The name a pool goes by: its queue, and the Django settings its processes load.

    Two Django projects sharing one Weft context get separate pools for a queue name,
    since a process can set up only one of them.
    """
    return f"{queue}{POOL_KEY_SEPARATOR}{settings_module}" if settings_module else queue


def call_record(call_id: str | int) -> str:
    """The queue holding one call's event log (outcome, progress, redeliveries)."""
    return f"{PREFIX}.call.{call_id}"


def pending_queue(queue: str) -> str:
    """The queue the pooled lane's calls wait in for `queue`."""
    return f"{PREFIX}.queue.{queue}"


def running_queue(queue: str, master_tid: str, slot: int) -> str:
    """Where a pool process keeps the call it is running (at-least-once delivery)."""
    return f"{PREFIX}.running.{queue}.{master_tid}.{slot}"


def running_prefix(queue: str | None = None) -> str:
    """The name prefix of every running queue (of `queue`, when given)."""
    return f"{PREFIX}.running." if queue is None else f"{PREFIX}.running.{queue}."


def registry_queue(queue: str) -> str:
    """The queue listing the pool masters of `queue` (one message per master)."""
    return f"{PREFIX}.pool.{queue}"


def workflow_queue(workflow_id: str) -> str:
    """The queue holding a workflow's plan and its joins' markers (`canvas`)."""
    return f"{workflow_prefix()}{workflow_id}"


def workflow_prefix() -> str:
    """The name prefix of every workflow's queue."""
    return f"{PREFIX}.workflow."


# One message per workflow some of whose steps have not ended yet (`canvas._sweep`).
OPEN_WORKFLOWS: Final = f"{PREFIX}.workflows.open"


def join_queue(workflow_id: str, join: int) -> str:
    """The queue holding the filled slots of a workflow's join `join`."""
    return f"{join_prefix()}{workflow_id}.{join}"


def join_prefix() -> str:
    """The name prefix of every join's slots queue."""
    return f"{PREFIX}.join."


# Deferred calls (countdown, eta, retries) wait here until a mover submits them.
DUE_QUEUE: Final = f"{PREFIX}.due"
# The movers' registry (one message per mover, as pools have).
MOVER_REGISTRY: Final = f"{PREFIX}.movers"


def claimed_queue(mover_tid: str) -> str:
    """Where a mover holds a deferred isolated call while it submits it."""
    return f"{claimed_prefix()}{mover_tid}"


def claimed_prefix() -> str:
    """The name prefix of every mover's claimed queue."""
    return f"{PREFIX}.claimed."


def pool_bell(queue: str) -> str:
    """The doorbell (`_doorbell`) a pool's idle processes wait on for `queue`."""
    return f"pool.{queue}"


# The doorbell movers wait on for newly deferred calls.
MOVER_BELL: Final = "mover"


def control_queue(master_tid: str) -> str:
    """The queue a pool master reads revoke and shutdown requests from."""
    return f"{PREFIX}.control.{master_tid}"


class QueueStat(Protocol):
    """How many messages a queue holds (SimpleBroker's `QueueStats`)."""

    @property
    def pending(self) -> int: ...


class Broker(Protocol):
    """The broker operations weft_compat uses (Weft's SimpleBroker handle)."""

    def write(self, queue: str, message: str) -> int: ...

    @overload
    def peek_one(
        self,
        queue: str,
        *,
        exact_timestamp: int | None = ...,
        with_timestamps: Literal[True],
        order: str = ...,
    ) -> tuple[str, int] | None: ...

    @overload
    def peek_one(
        self,
        queue: str,
        *,
        exact_timestamp: int | None = ...,
        with_timestamps: Literal[False],
        order: str = ...,
    ) -> str | None: ...

    @overload
    def peek_many(
        self,
        queue: str,
        limit: int = ...,
        *,
        with_timestamps: Literal[True],
        after_timestamp: int | None = ...,
        before_timestamp: int | None = ...,
        order: str = ...,
    ) -> list[tuple[str, int]]: ...

    @overload
    def peek_many(
        self, queue: str, limit: int = ..., *, with_timestamps: Literal[False]
    ) -> list[str]: ...

    def move_one(
        self,
        source_queue: str,
        target_queue: str,
        *,
        exact_timestamp: int | None = None,
        with_timestamps: Literal[True] = True,
    ) -> tuple[str, int] | None: ...

    def move_many(
        self,
        source_queue: str,
        target_queue: str,
        limit: int,
        *,
        with_timestamps: Literal[True] = True,
    ) -> list[tuple[str, int]]: ...

    def delete(self, queue: str | None = None) -> int: ...

    def delete_message_ids(self, queue: str, message_ids: Sequence[int]) -> int: ...

    def delete_from_queues(self, queue_names: Sequence[str]) -> int: ...

    def insert_messages(self, records: Iterable[tuple[str, str, int]]) -> None: ...

    def generate_timestamp(self) -> int: ...

    def advance_last_timestamp(self, timestamp: int) -> int: ...

    def get_queue_stat(self, queue: str) -> QueueStat: ...

    def list_queues(self, *, prefix: str | None = None) -> list[str]: ...

    def get_data_version(self) -> int | None: ...

    def close(self) -> None: ...


_local = threading.local()


def get_broker() -> Broker:
    """This thread's broker handle for the configured Weft context."""
    return _held("held", client_key(), lambda: get_client().context)


def claim_broker() -> Broker:
    """This thread's handle for moves between a pool's queues that need no sync of their
    own: a pool process's claims, the calls it gives back, and its acknowledgements.

    On SQLite its commits are not synced to disk one by one (`synchronous=NORMAL`,
    which loses nothing when a process dies); the next synced commit on the broker
    carries them, at the latest the master's lease renewal, which reports a started
    call within about half a second (`pool.master`). Enqueues and outcomes always go
    through `get_broker`. On PostgreSQL it is `get_broker`'s handle.
    """
    key = client_key()
    if key[2] is not None:
        return get_broker()
    return _held("claim_held", key, lambda: unsynced_context(get_client().context))


def _held(slot: str, key: tuple[Any, ...], context: Callable[[], WeftContext]) -> Broker:
    # The handle this thread keeps in `slot` for `key` (`client_key`), opened afresh on
    # `context()` when the settings name another context or broker than it was for.
    held: tuple[Any, AbstractContextManager[Any], Broker] | None = getattr(_local, slot, None)
    if held is not None and held[0] == key:
        return held[2]
    _release(slot)
    manager = cast(AbstractContextManager[Any], context().broker())
    broker = cast(Broker, manager.__enter__())
    setattr(_local, slot, (key, manager, broker))
    return broker


def close_thread_broker() -> None:
    """Release this thread's broker handles, if any (tests switch contexts with it)."""
    _release("claim_held")
    _release("held")


def _release(slot: str) -> None:
    held = getattr(_local, slot, None)
    setattr(_local, slot, None)
    # A handle inherited through fork belongs to the parent.
    if held is not None and held[0][0] == os.getpid():
        held[1].__exit__(None, None, None)


# How often a waiter re-checks the broker's data version: every quarter to half
# millisecond for the first second (a call was just enqueued, a pool process was just
# busy), so a single call finishes within a few milliseconds; every 5 ms after that,
# which costs next to nothing idle.
_FIRST_POLL: Final = 0.00025
_QUICK_POLL: Final = 0.0005
_SLOW_POLL: Final = 0.005
QUICK_SECONDS: Final = 1.0
# On a backend without a data version, looks at a queue before listening to it instead.
_LOOKS_BEFORE_LISTENING: Final = 25


class Waiter(Protocol):
    """A backend's own wake-up for writes to a queue (PostgreSQL's LISTEN/NOTIFY)."""

    def wait(self, timeout: float) -> bool: ...

    def close(self) -> None: ...


def activity_waiter(queue: str) -> Waiter | None:
    """A waiter woken by writes to `queue`, on backends that notify (not SQLite)."""
    queue_handle = get_client().context.queue(queue)
    return queue_handle.create_activity_waiter(stop_event=threading.Event())


def wait_for_change(
    deadline: float, *, since: int | None = None, queue: str | None = None
) -> Iterator[None]:
    """Yield each time the broker may hold new data, until `deadline` (monotonic).

    SQLite bumps its data version on every commit by another connection, so waiters
    poll that cheap counter and look at queues only after it moved. For the first
    `QUICK_SECONDS` the counter is read about every millisecond, then every few. A
    backend without a data version (PostgreSQL) wakes the waiter on each write to
    `queue` when one is named, else is looked at every few milliseconds.
    """
    broker = get_broker()
    seen = since if since is not None else broker.get_data_version()
    if seen is None and queue is not None:
        # Most answers come within milliseconds: look a few times before setting up a
        # listening connection, which costs about as much as those looks.
        for _ in range(_LOOKS_BEFORE_LISTENING):
            if time.monotonic() >= deadline:
                return
            time.sleep(_QUICK_POLL * 4)
            yield
        waiter = activity_waiter(queue)
        if waiter is not None:
            try:
                yield  # Listening from now on: a look now catches a write made before.
                while (left := deadline - time.monotonic()) > 0:
                    waiter.wait(min(left, 1.0))
                    yield
            finally:
                waiter.close()
            return
    quick_until = time.monotonic() + QUICK_SECONDS
    interval = _FIRST_POLL
    while (now := time.monotonic()) < deadline:
        time.sleep(interval)
        version = broker.get_data_version()
        if version is None:
            # Nothing tells a change: look each time, backing off as a quiet one would.
            interval = min(interval * 2, _QUICK_POLL if now < quick_until else _SLOW_POLL)
            yield
        elif version != seen:
            seen = version
            interval = _FIRST_POLL
            yield
        else:
            interval = min(interval * 2, _QUICK_POLL if now < quick_until else _SLOW_POLL)
