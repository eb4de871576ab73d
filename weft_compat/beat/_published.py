"""The schedule in force, published in the broker, which every scheduler follows.

A process that loads the deployment's configuration (`weft-compat worker`,
`weft-compat beat`, their management commands) publishes its schedule when it starts:
each entry bound to its task as a ready call envelope. Schedulers tick the published
schedule, never their own copy, so an entry removed or changed stops firing in its old
form as soon as a newer process has published, and movers, which load no settings,
tick it too. A process started before the one that published last does not overwrite
its schedule, so a stale process left running through a deploy cannot bring an old
schedule back.

Each entry keeps the moment its current form was first published (`since`): its first
tick is the first due moment after that, as with Celery's beat, and every scheduler
agrees on it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from weft_compat._broker import PREFIX, get_broker
from weft_compat.beat._schedule import Missed, Schedule, schedule_from_data

__all__ = [
    "SCHEDULE_QUEUE",
    "PublishedEntry",
    "PublishedSchedule",
    "published_id",
    "read_published",
    "ticks_prefix",
    "ticks_queue",
    "write_published",
]

SCHEDULE_QUEUE: Final = f"{PREFIX}.beat.schedule"
_TICKS_PREFIX: Final = f"{PREFIX}.beat.ticks."


def ticks_prefix() -> str:
    """The name prefix of every entry's ticks queue."""
    return _TICKS_PREFIX


def ticks_queue(name: str) -> str:
    """The queue holding an entry's tick claims (names are free text, queue names not)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in name)
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{_TICKS_PREFIX}{safe[:80]}.{digest}"


@dataclass(frozen=True, slots=True)
class PublishedEntry:
    """One entry as schedulers tick it: its schedule and its call, ready to stamp."""

    name: str
    task: str
    schedule: dict[str, Any]
    envelope: str
    fingerprint: str
    since: float
    missed: Missed = "run_once"
    expires_after: float | None = None
    countdown: float | None = None
    description: str = ""

    def parsed_schedule(self) -> Schedule:
        """The schedule object."""
        return schedule_from_data(self.schedule)


@dataclass(frozen=True, slots=True)
class PublishedSchedule:
    """The schedule in force: the entries, their time zone, and who published them."""

    timezone: str = "UTC"
    entries: tuple[PublishedEntry, ...] = ()
    started: float = 0.0
    published: float = 0.0
    publisher: str = ""
    message_id: int | None = field(default=None, compare=False)

    def to_json(self) -> str:
        """The message body."""
        data = asdict(self)
        data.pop("message_id")
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, message_id: int | None = None) -> PublishedSchedule:
        """The schedule a message holds."""
        data = json.loads(text)
        entries = tuple(PublishedEntry(**entry) for entry in data.pop("entries"))
        return cls(entries=entries, message_id=message_id, **data)

    def entry(self, name: str) -> PublishedEntry | None:
        """The entry called `name`, if published."""
        return next((each for each in self.entries if each.name == name), None)


def published_id() -> int | None:
    """The message id of the schedule in force (cheap: schedulers ask every second)."""
    found = get_broker().peek_one(SCHEDULE_QUEUE, with_timestamps=True, order="newest")
    return None if found is None else found[1]


def read_published() -> PublishedSchedule | None:
    """The schedule in force, or None when none was ever published."""
    found = get_broker().peek_one(SCHEDULE_QUEUE, with_timestamps=True, order="newest")
    if found is None:
        return None
    return PublishedSchedule.from_json(found[0], found[1])


def write_published(schedule: PublishedSchedule) -> int:
    """Publish `schedule`, dropping the ones it replaces and the ticks of removed entries."""
    broker = get_broker()
    message_id = broker.write(SCHEDULE_QUEUE, schedule.to_json())
    older = [
        each_id
        for _, each_id in broker.peek_many(SCHEDULE_QUEUE, 1000, with_timestamps=True)
        if each_id < message_id
    ]
    if older:
        broker.delete_message_ids(SCHEDULE_QUEUE, older)
    kept = {ticks_queue(entry.name) for entry in schedule.entries}
    gone = [queue for queue in broker.list_queues(prefix=_TICKS_PREFIX) if queue not in kept]
    if gone:
        broker.delete_from_queues(gone)
    return message_id
