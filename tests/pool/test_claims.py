"""Claiming ahead and batched acks, on a real broker, driven from the test process.

These exercise a pool process's bookkeeping (`weft_compat.pool._claims`) without the
process itself, so each step can be checked in the broker as it happens.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import broker_tasks
from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._broker import (
    claim_broker,
    get_broker,
    pending_queue,
    pool_key,
    running_queue,
)
from weft_compat._client import get_client, unsynced_context
from weft_compat._doorbell import Bell, ring
from weft_compat._submit import prepare_call
from weft_compat.pool._child import _IDLE_CHECK_SECONDS, _idle
from weft_compat.pool._claims import ACK_BATCH, HOLD_SECONDS, Acks, Claims
from weft_compat.pool._slots import SlotTable, slot_file

pytestmark = pytest.mark.broker

# A master tid no Weft task has: nothing but these tests uses its queues.
MASTER = "1000000000000000007"


@pytest.fixture
def claims_of(queues: tuple[str, str]) -> Iterator[Callable[..., Claims]]:
    """Make `Claims` on the test's queues; each is closed (its watcher stopped) after."""
    made: list[Claims] = []

    def make(*, prefetch: int, processes: int) -> Claims:
        made.append(Claims(*queues, prefetch=prefetch, processes=processes))
        return made[-1]

    yield make
    for claims in made:
        claims.close()


@pytest.fixture(scope="module")
def own_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A context of these tests' own: in the session's, a live pool master would release
    the running queue of the made-up master below as a dead master's, mid-test."""
    with pointed_at(tmp_path_factory.mktemp("claims"), stop=True) as context:
        yield context


@pytest.fixture
def queues(request: pytest.FixtureRequest, own_context: Path) -> Iterator[tuple[str, str]]:
    """A pending queue and one process's running queue of a queue named after the test."""
    name = request.node.name.replace("[", "-").rstrip("]")[:60]
    key = pool_key(name, os.environ.get("DJANGO_SETTINGS_MODULE"))
    pending, running = pending_queue(key), running_queue(key, MASTER, 0)
    yield pending, running
    get_broker().delete(pending)
    get_broker().delete(running)


def queue_calls(pending: str, count: int) -> list[int]:
    """Write `count` real call envelopes to `pending`; returns their ids, oldest first."""
    envelope = prepare_call(broker_tasks.add, [1, 2], {}).envelope
    return [get_broker().write(pending, envelope.to_json()) for _ in range(count)]


def ids_in(queue: str) -> list[int]:
    messages = get_broker().peek_many(queue, 100, with_timestamps=True)
    return [message_id for _, message_id in messages]


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("waiting", "prefetch", "processes", "claimed"),
    [
        (10, 4, 2, 4),  # a backlog: a full prefetch in one write
        (3, 4, 2, 1),  # a burst smaller than the pool: left to the other processes
        (5, 1, 1, 1),  # prefetch_multiplier 1: one call at a time
    ],
)
def test_a_process_claims_its_share_of_what_waits(
    waiting: int,
    prefetch: int,
    processes: int,
    claimed: int,
    queues: tuple[str, str],
    claims_of: Callable[..., Claims],
) -> None:
    pending, running = queues
    calls = queue_calls(pending, waiting)
    claims = claims_of(prefetch=prefetch, processes=processes)
    first = claims.next()
    assert first is not None and first[1] == calls[0]
    assert ids_in(running) == calls[:claimed]
    assert ids_in(pending) == calls[claimed:]


def test_calls_held_behind_a_slow_call_go_back_to_their_places(
    queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    pending, running = queues
    calls = queue_calls(pending, 4)
    claims = claims_of(prefetch=4, processes=1)
    assert claims.next() is not None
    later = queue_calls(pending, 1)
    with claims.running_one():
        wait_until(lambda: ids_in(pending) == [*calls[1:], *later])
        assert ids_in(running) == calls[:1]
    # After a slow call the process claims one call at a time, from the front.
    claimed = claims.next()
    assert claimed is not None and claimed[1] == calls[1]
    assert ids_in(pending) == [*calls[2:], *later]


def test_calls_held_behind_a_fast_call_stay_claimed(
    queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    pending, running = queues
    calls = queue_calls(pending, 4)
    claims = claims_of(prefetch=4, processes=1)
    assert claims.next() is not None
    with claims.running_one():
        pass
    time.sleep(2 * HOLD_SECONDS)  # Between calls nothing waits behind a running one.
    assert ids_in(running) == calls
    held = [claims.next() for _ in range(3)]
    assert [claimed[1] for claimed in held if claimed is not None] == calls[1:]


def test_a_stopping_process_gives_back_what_it_claimed_ahead(
    queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    pending, running = queues
    calls = queue_calls(pending, 8)
    claims = claims_of(prefetch=4, processes=1)
    assert claims.next() is not None
    claims.close()
    assert ids_in(running) == calls[:1]
    assert ids_in(pending) == calls[1:]


def test_a_call_claimed_ahead_is_reserved_until_its_process_runs_it(
    queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    pending, _ = queues
    calls = queue_calls(pending, 2)
    table = SlotTable(slot_file(MASTER), 1, create=True)
    try:
        claims = claims_of(prefetch=4, processes=1)
        assert claims.next() is not None
        table.publish(0, calls[0], 0.0)
        assert WeftSubmission(str(calls[0])).state == "STARTED"
        assert WeftSubmission(str(calls[1])).state == "RECEIVED"
        assert WeftSubmission(str(calls[1])).status() == "reserved"
    finally:
        table.remove()
    assert WeftSubmission(str(calls[1])).state == "STARTED"  # No table: cannot tell.


def test_ended_calls_are_deleted_a_batch_at_a_time(queues: tuple[str, str]) -> None:
    pending, running = queues
    calls = queue_calls(pending, ACK_BATCH + 2)
    for _ in calls:
        get_broker().move_one(pending, running)
    acks = Acks(running)
    for call in calls[: ACK_BATCH - 1]:
        acks.add(call)
    assert ids_in(running) == calls
    acks.add(calls[ACK_BATCH - 1])
    assert ids_in(running) == calls[ACK_BATCH:]
    acks.add(calls[ACK_BATCH])
    acks.flush()
    assert ids_in(running) == calls[ACK_BATCH + 1 :]


def test_claims_and_acks_go_through_an_unsynced_handle_on_the_same_database(
    queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    pending, running = queues
    calls = queue_calls(pending, 2)
    context = get_client().context
    unsynced = unsynced_context(context)
    assert unsynced.database_path == context.database_path
    assert (context.broker_config["SYNC_MODE"], unsynced.broker_config["SYNC_MODE"]) == (
        "FULL",
        "NORMAL",
    )
    assert claim_broker() is not get_broker()
    claims = claims_of(prefetch=1, processes=1)
    first = claims.next()
    assert first is not None and first[1] == calls[0]
    # Committed, if not yet synced: every other handle sees the claim at once.
    assert ids_in(running) == calls[:1]
    assert ids_in(pending) == calls[1:]
    acks = Acks(running)
    acks.add(calls[0])
    acks.flush()
    assert ids_in(running) == []


@pytest.mark.parametrize("prefetch", [1, 4])
def test_a_look_at_an_empty_queue_takes_no_write_lock(
    prefetch: int, queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    # An idle process looks at its queue after every call; were the look a write, it
    # would wait for SQLite's write lock whenever anyone else holds it (an enqueue, the
    # other process's outcome), and make them wait for it in turn.
    pending, running = queues
    claims = claims_of(prefetch=prefetch, processes=2)
    claims.next()  # Opens the claim handle before the lock is taken.
    writer = sqlite3.connect(get_client().context.database_path, isolation_level=None)
    looked: list[tuple[str, int] | None] = []
    try:
        writer.execute("BEGIN IMMEDIATE")
        look = threading.Thread(target=lambda: looked.append(claims.next()))
        look.start()
        look.join(timeout=2)
        assert looked == [None], "the look at an empty queue waited for the write lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    calls = queue_calls(pending, 1)
    claimed = claims.next()
    assert claimed is not None and claimed[1] == calls[0]
    assert ids_in(running) == calls


@pytest.mark.parametrize("prefetch", [1, 4])
def test_an_empty_message_is_claimed_like_any_other(
    prefetch: int, queues: tuple[str, str], claims_of: Callable[..., Claims]
) -> None:
    # A look that took an empty body for an empty queue would leave it, and every call
    # behind it, waiting for ever; claimed, it is refused and acknowledged like any junk.
    pending, running = queues
    junk = get_broker().write(pending, "")
    calls = queue_calls(pending, 1)
    claims = claims_of(prefetch=prefetch, processes=1)
    claimed = claims.next()
    assert claimed == ("", junk)
    assert junk in ids_in(running) and set(ids_in(running)) <= {junk, *calls}


def test_acks_wait_for_a_pause_in_the_work(queues: tuple[str, str]) -> None:
    # Between the calls of a steady trickle an idle process goes back to work without
    # deleting what ended; once no call has come for a moment, it deletes them and waits.
    pending, running = queues
    calls = queue_calls(pending, 2)
    for _ in calls:
        get_broker().move_one(pending, running)
    name = f"test.{pending}"
    bell = Bell(name)
    try:
        acks = Acks(running)
        acks.add(calls[0])
        ring(name)  # The next call came during the pause.
        _idle(bell, acks)
        assert ids_in(running) == calls
        acks.add(calls[1])
        # No call during the pause: the acks go, then the process waits for a ring.
        ringer = threading.Timer(0.3, ring, args=(name,))
        started = time.monotonic()
        ringer.start()
        _idle(bell, acks)
        assert time.monotonic() - started < _IDLE_CHECK_SECONDS
        assert ids_in(running) == []
    finally:
        bell.close()
