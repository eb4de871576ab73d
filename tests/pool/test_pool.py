"""The pooled lane on a real Weft context: throughput, limits, lost processes, restarts.

Each test uses a queue of its own, so its pool's behaviour is not mixed with another
test's calls. No test times anything: it checks that every call ends as documented.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import broker_tasks
from weft_compat import WeftSubmission
from weft_compat._broker import get_broker, pending_queue, pool_key
from weft_compat._outcome import REDELIVERED, read_events
from weft_compat._submit import prepare_call
from weft_compat.pool import pools, start_pool, stop_pool

pytestmark = pytest.mark.broker


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def first_pid(marker: Path) -> int:
    wait_until(lambda: marker.exists() and marker.read_text().strip() != "")
    return int(marker.read_text().split()[0])


@pytest.fixture
def queue(request: pytest.FixtureRequest, weft_context: Path) -> Iterator[str]:
    """A queue named after the test, with its pools stopped afterwards."""
    name = request.node.name.replace("[", "-").rstrip("]")[:60]
    yield name
    stop_pool(name, timeout=60)


def test_a_burst_of_calls_all_complete_with_their_values(queue: str) -> None:
    add = broker_tasks.add.using(queue=queue)
    handles = [add.enqueue(i, 1) for i in range(300)]
    values = [handle.result(timeout=120).value for handle in handles]
    assert values == [i + 1 for i in range(300)]
    assert all(len(handle.tid) == 19 and handle.state == "SUCCESS" for handle in handles)
    assert len({handle.tid for handle in handles}) == 300
    [master] = pools(queue)
    assert master.autostarted


def test_a_hung_call_is_killed_by_its_limit_while_the_queue_keeps_serving(queue: str) -> None:
    start_pool(queue, concurrency=2)
    hung = broker_tasks.hangs.using(queue=queue).enqueue()
    others = [broker_tasks.add.using(queue=queue).enqueue(i, i) for i in range(40)]
    assert [handle.result(timeout=60).value for handle in others] == [2 * i for i in range(40)]
    hung.result(timeout=60)
    assert hung.state == "FAILURE"
    assert hung.status() == "timeout"
    [error] = hung.errors
    assert error.exception_class_path == "weft_compat.exceptions.TimeLimitExceeded"
    # The killed process was replaced: the pool still runs two calls at once.
    sleepers = [broker_tasks.sleeps.using(queue=queue).enqueue(1) for _ in range(2)]
    assert [handle.result(timeout=60).value for handle in sleepers] == ["woke up"] * 2


def test_a_call_whose_process_is_killed_is_redelivered(queue: str, tmp_path: Path) -> None:
    marker = tmp_path / "deliveries"
    handle = broker_tasks.lost_once.using(queue=queue).enqueue(str(marker))
    os.kill(first_pid(marker), signal.SIGKILL)
    assert handle.result(timeout=60).value == "redelivered"
    assert handle.state == "SUCCESS"
    assert len(marker.read_text().split()) == 2
    assert [event for event in read_events(handle.tid) if event.get("event") == REDELIVERED]


def test_a_task_with_acks_late_false_fails_when_its_process_is_lost(
    queue: str, tmp_path: Path
) -> None:
    marker = tmp_path / "deliveries"
    handle = broker_tasks.lost_for_good.using(queue=queue).enqueue(str(marker))
    os.kill(first_pid(marker), signal.SIGKILL)
    handle.result(timeout=60)
    assert handle.state == "FAILURE"
    [error] = handle.errors
    assert error.exception_class_path == "weft_compat.exceptions.WorkerLostError"
    assert len(marker.read_text().split()) == 1


def test_stopping_and_restarting_the_pool_loses_no_call(queue: str) -> None:
    start_pool(queue, concurrency=2)
    sleeps = broker_tasks.sleeps.using(queue=queue)
    handles = [sleeps.enqueue(0.5) for _ in range(8)]
    wait_until(lambda: any(handle.status() == "running" for handle in handles))
    stop_pool(queue, timeout=60)
    waiting = [handle for handle in handles if handle.state == "PENDING"]
    assert waiting, "stopping let the running calls finish and left the rest queued"
    assert not pools(queue)
    start_pool(queue, concurrency=2)
    assert [handle.result(timeout=60).value for handle in handles] == ["woke up"] * 8


def test_a_master_stopped_twice_puts_its_running_call_back_at_once(queue: str) -> None:
    start_pool(queue, concurrency=1)
    handle = broker_tasks.sleeps.using(queue=queue).enqueue(30)
    wait_until(lambda: handle.status() == "running")
    [master] = pools(queue)
    os.kill(master.pid, signal.SIGTERM)  # Warm: the running call would be let finish...
    time.sleep(1)  # (Two signals sent at once may arrive as one.)
    os.kill(master.pid, signal.SIGTERM)  # ...cold: it goes back to the queue now.
    wait_until(lambda: not pools(queue))
    assert handle.state == "PENDING"
    # Put back as it was, not counted as a lost delivery.
    assert not any(event.get("event") == REDELIVERED for event in read_events(handle.tid))


def test_a_master_killed_outright_has_its_call_redelivered_by_the_next(queue: str) -> None:
    start_pool(queue, concurrency=1)
    handle = broker_tasks.sleeps.using(queue=queue).enqueue(2)
    wait_until(lambda: handle.status() == "running")
    [master] = pools(queue)
    os.killpg(os.getpgid(master.pid), signal.SIGKILL)  # The master and its pool process.
    wait_until(lambda: not pools(queue))
    start_pool(queue, concurrency=1)  # Its first orphan scan finds the dead master's call.
    assert handle.result(timeout=60).value == "woke up"


def test_stop_revokes_a_queued_call_before_it_runs(queue: str) -> None:
    start_pool(queue, concurrency=1)
    busy = broker_tasks.sleeps.using(queue=queue).enqueue(1)
    queued = broker_tasks.add.using(queue=queue).enqueue(1, 1)
    queued.stop()
    assert queued.state == "REVOKED"
    assert busy.result(timeout=60).value == "woke up"
    assert queued.result(timeout=5).status == "cancelled"
    assert WeftSubmission.from_tid(queued.tid).state == "REVOKED"


def test_a_pooled_call_is_pending_until_a_pool_takes_it(queue: str) -> None:
    start_pool(queue, concurrency=1)
    busy = broker_tasks.sleeps.using(queue=queue).enqueue(1)
    waiting = broker_tasks.add.using(queue=queue).enqueue(2, 2)
    fresh = WeftSubmission.from_tid(waiting.tid)
    assert fresh.state == "PENDING"
    assert fresh.name == "tests.broker_tasks.add"
    assert busy.result(timeout=60).value == "woke up"
    assert fresh.result(timeout=60).value == 4


def test_a_message_that_is_not_a_call_fails_and_the_pool_keeps_serving(queue: str) -> None:
    start_pool(queue, concurrency=1)
    key = pool_key(queue, os.environ.get("DJANGO_SETTINGS_MODULE"))
    stray = get_broker().write(pending_queue(key), '{"not": "a call"}')
    handle = WeftSubmission.from_tid(str(stray))
    handle.result(timeout=60)
    assert handle.state == "FAILURE"
    assert "not a weft_compat call envelope" in handle.errors[0].message
    assert broker_tasks.add.using(queue=queue).enqueue(3, 4).result(timeout=60).value == 7


def test_calls_claimed_behind_a_slow_call_are_run_by_another_process(queue: str) -> None:
    """Queued before the pool starts, so its first process claims ahead; the fast calls
    it holds behind the slow one go back to the queue and the other process runs them."""
    key = pool_key(queue, os.environ.get("DJANGO_SETTINGS_MODULE"))
    calls = [
        prepare_call(broker_tasks.sleeps.using(queue=queue), [5], {}),
        *(prepare_call(broker_tasks.add.using(queue=queue), [i, i], {}) for i in range(3)),
    ]
    slow, *fast = [
        WeftSubmission(str(get_broker().write(pending_queue(key), call.envelope.to_json())))
        for call in calls
    ]
    start_pool(queue, concurrency=2, prefetch_multiplier=4)
    assert [handle.result(timeout=60).value for handle in fast] == [0, 2, 4]
    assert slow.state == "STARTED"
    assert slow.result(timeout=60).value == "woke up"
    assert all(
        event.get("event") != REDELIVERED for handle in fast for event in read_events(handle.tid)
    )
