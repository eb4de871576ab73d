"""The drain itself: read each Celery queue, record each call in weft_compat, then ack.

Everything that can be wrong with the request (queue mapping, no tasks registered, the
broker URL, a RabbitMQ queue that does not exist) is refused before the first message
is read. Then messages are taken unacknowledged, a batch at a time (what the queue
holds, up to `batch`): the batch's calls are recorded in one transaction (`_record`) and
the messages that cannot run are parked (`_park`) before any of them is acknowledged,
so a drain lost at any moment loses nothing (the broker gives the message back) and
runs nothing twice (the record shows it was drained). Without `follow` the drain ends
when every queue is empty; with it, it waits for more until asked to stop. A dry run
reads every message once (`CeleryBroker.browse`: on Redis where it lies, on RabbitMQ
taken and given back unacknowledged at the end): it records, parks and acknowledges
nothing.

Celery's `before_task_publish` / `after_task_publish` are not sent: the calls were
published once already, by the code that sent them to Celery.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from weft_compat import _registry
from weft_compat._config import current_settings, without_password
from weft_compat._submit import PreparedCall
from weft_compat.drain._calls import prepare_drained
from weft_compat.drain._message import Unrunnable, read_message
from weft_compat.drain._park import DEFAULT_PARKING_QUEUE, Parked, park
from weft_compat.drain._queues import QueueRoute, parse_routes
from weft_compat.drain._record import drained_before, record_calls, record_expired
from weft_compat.drain._report import Action, DrainReport
from weft_compat.drain._source import CeleryBroker, RawMessage, check_broker_url
from weft_compat.due._queue import is_expired
from weft_compat.exceptions import InvalidOptionValue

__all__ = ["DEFAULT_BATCH", "DrainOptions", "drain"]

# How long a following drain waits when every queue is empty, before looking again.
_IDLE_SECONDS: Final = 0.25
# Messages taken (unacknowledged) and recorded in one transaction, at most: one durable
# commit per batch rather than per message.
DEFAULT_BATCH: Final = 100


@dataclass(frozen=True, slots=True)
class DrainOptions:
    """What to drain and how (the `weft-compat drain` options)."""

    broker: str
    queues: tuple[str, ...] = ()
    follow: bool = False
    dry_run: bool = False
    parking_queue: str = DEFAULT_PARKING_QUEUE
    limit: int | None = None
    restore_unacked: bool = False
    progress_seconds: float = 1.0
    batch: int = DEFAULT_BATCH


def _never() -> bool:
    return False


def drain(
    options: DrainOptions,
    *,
    should_stop: Callable[[], bool] = _never,
    on_progress: Callable[[DrainReport], None] | None = None,
    on_parked: Callable[[Parked], None] | None = None,
) -> DrainReport:
    """Drain the Celery queues `options` names into weft_compat; returns the report.

    `should_stop` is asked between messages (a following drain stops when it says so);
    `on_progress` gets the report every `progress_seconds`; `on_parked` each message
    parked (or, in a dry run, that would be).
    """
    routes = _check(options)
    broker = CeleryBroker(options.broker)
    report = DrainReport(
        broker=without_password(options.broker),
        routes={route.celery: route.weft for route in routes},
        parking_queue=options.parking_queue,
        dry_run=options.dry_run,
    )
    held: list[RawMessage] = []
    try:
        for route in routes:
            report.waiting[route.celery] = broker.check_queue(route.celery)
        if options.restore_unacked and not options.dry_run:
            broker.restore_unacked([route.celery for route in routes])
        run = _Run(broker, options, report, held, on_parked)
        run.loop(routes, should_stop, on_progress)
    finally:
        try:
            for message in held:
                message.requeue()
        finally:
            broker.close()
    return report


def _check(options: DrainOptions) -> list[QueueRoute]:
    # Every refusal that needs no broker, in the order a user would fix them.
    check_broker_url(options.broker)
    routes = parse_routes(options.queues, current_settings())
    if options.parking_queue in {route.celery for route in routes}:
        raise InvalidOptionValue(
            f"--parking-queue {options.parking_queue!r} is also drained; name a queue of "
            "its own, such as the default weft_compat.parked"
        )
    if options.limit is not None and options.limit < 1:
        raise InvalidOptionValue(f"--limit {options.limit!r} must be 1 or more")
    if options.dry_run and options.follow:
        raise InvalidOptionValue(
            "--dry-run reports what the queues hold once and --follow never ends; pass one of them"
        )
    if options.batch < 1:
        raise InvalidOptionValue(f"--batch {options.batch!r} must be 1 or more")
    if not _registry.registered_names():
        raise InvalidOptionValue(
            "no task is registered in this process, so every message would be parked; "
            "pass --include with the task modules (or set IMPORTS, or run manage.py "
            "weft_drain in the Django project)"
        )
    return routes


class _Run:
    """One drain's loop, with the state it shares between batches."""

    def __init__(
        self,
        broker: CeleryBroker,
        options: DrainOptions,
        report: DrainReport,
        held: list[RawMessage],
        on_parked: Callable[[Parked], None] | None,
    ) -> None:
        self.broker = broker
        self.options = options
        self.report = report
        self.held = held
        self.on_parked = on_parked
        self.browsing: dict[str, Iterator[RawMessage]] = {}

    def loop(
        self,
        routes: list[QueueRoute],
        should_stop: Callable[[], bool],
        on_progress: Callable[[DrainReport], None] | None,
    ) -> None:
        last_progress = time.monotonic()
        while not should_stop():
            took = False
            for route in routes:
                batch = self.take(route)
                if batch is None:
                    return
                if batch:
                    took = True
                    self.handle(batch, route)
                if should_stop():
                    return
            if on_progress is not None and (
                time.monotonic() - last_progress >= self.options.progress_seconds
            ):
                last_progress = time.monotonic()
                on_progress(self.report)
            if not took:
                if not self.options.follow:
                    return
                time.sleep(_IDLE_SECONDS)

    def take(self, route: QueueRoute) -> list[RawMessage] | None:
        """What `route`'s queue holds now, up to a batch (None once `limit` is reached)."""
        room = self.options.batch
        if self.options.limit is not None:
            room = min(room, self.options.limit - self.report.total())
            if room <= 0:
                return None
        if self.options.dry_run:
            browsing = self.browsing.get(route.celery)
            if browsing is None:
                browsing = self.browsing[route.celery] = self.broker.browse(route.celery)
            return list(itertools.islice(browsing, room))
        batch: list[RawMessage] = []
        while len(batch) < room and (message := self.broker.get(route.celery)) is not None:
            batch.append(message)
        return batch

    def handle(self, batch: list[RawMessage], route: QueueRoute) -> None:
        """Record (or park) each message of `batch`, then acknowledge them; a dry run
        only counts them. The calls to queue are written in one transaction, and no
        message of the batch is acknowledged before it commits."""
        pending: list[tuple[PreparedCall, str, str]] = []
        after_commit: list[RawMessage] = []
        duplicates = 0
        in_batch: set[str] = set()
        if self.options.dry_run:
            self.held.extend(batch)  # In the order taken, to give back in that order.
        for message in batch:
            try:
                task_id, outcome = self.read(message, route, in_batch)
            except Unrunnable as exc:
                self.park(message, route, exc)
                continue
            if outcome is None:  # the same Celery id earlier in this batch
                after_commit.append(message)
                duplicates += 1
            elif isinstance(outcome, str):
                self.settle(message)
                self.report.add(route.celery, outcome)
            else:
                in_batch.add(task_id)
                pending.append((outcome, task_id, route.celery))
                after_commit.append(message)
        if self.options.dry_run:
            for prepared, _, _ in pending:
                self.report.add(route.celery, _waits(prepared))
        elif pending:
            for action in record_calls(pending):
                self.report.add(route.celery, action)
        if not self.options.dry_run:
            self.broker.ack_all(after_commit)
        for _ in range(duplicates):
            self.report.add(route.celery, "duplicate")

    def read(
        self, message: RawMessage, route: QueueRoute, in_batch: set[str]
    ) -> tuple[str, PreparedCall | Action | None]:
        """The Celery id of `message` and its prepared call, or what was done with it
        already (`duplicate`, `expired`), or None for an id met earlier in the batch."""
        call = read_message(
            message.headers, message.body, message.content_type, message.content_encoding
        )
        if call.task_id in in_batch:
            return call.task_id, None
        if drained_before(call.task_id):
            return call.task_id, "duplicate"
        prepared = prepare_drained(call, route.weft)
        if is_expired(prepared.envelope):
            if not self.options.dry_run:
                record_expired(prepared, call.task_id)
            return call.task_id, "expired"
        return call.task_id, prepared

    def settle(self, message: RawMessage) -> None:
        """Acknowledge `message` (a dry run holds it, to give it back at the end)."""
        if not self.options.dry_run:
            message.ack()

    def park(self, message: RawMessage, route: QueueRoute, exc: Unrunnable) -> None:
        parked = Parked(exc.task_id, exc.task, route.celery, exc.reason)
        if not self.options.dry_run:
            park(self.broker, message, parked, self.options.parking_queue)
        self.report.add(route.celery, "parked", parked)
        if self.on_parked is not None:
            self.on_parked(parked)


def _waits(prepared: PreparedCall) -> Action:
    return "deferred" if prepared.envelope.eta is not None else "queued"
