"""Binding the configured schedule to its tasks, and publishing it for the schedulers.

The configured schedule is `WEFT_COMPAT["BEAT_SCHEDULE"]` (or `configure(...)`'s) plus
the entries added in code (`_code`). Binding resolves each entry's task and builds its
call exactly as `enqueue` would (options, argument checks, encoding), so an unknown
task, a refused option or an argument that cannot be sent fails when the schedule is
validated, naming the entry, never at the first tick.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import time
from datetime import datetime

from weft_compat._config import current_settings
from weft_compat._registry import get_task
from weft_compat._submit import prepare_call
from weft_compat.beat._code import code_entries
from weft_compat.beat._published import (
    PublishedEntry,
    PublishedSchedule,
    read_published,
    write_published,
)
from weft_compat.beat._schedule import ScheduleEntry, parse_entries, schedule_data, zone_of
from weft_compat.exceptions import InvalidOptionValue, WeftCompatError

__all__ = ["SETTING", "bind_entry", "configured_entries", "publish_schedule", "validate_schedule"]

SETTING = "WEFT_COMPAT['BEAT_SCHEDULE']"


def configured_entries() -> list[ScheduleEntry]:
    """The settings' entries, then those added in code; a name used twice is refused."""
    entries = parse_entries(current_settings().BEAT_SCHEDULE, SETTING)
    names = {entry.name for entry in entries}
    for entry in code_entries():
        if entry.name in names:
            raise InvalidOptionValue(
                f"the schedule entry {entry.name!r} is both in {SETTING} and added in code; "
                "give one of them another name"
            )
        entries.append(entry)
    return entries


def bind_entry(entry: ScheduleEntry, timezone: str, since: float = 0.0) -> PublishedEntry:
    """The entry bound to its task: its call built as `enqueue` builds one."""
    here = f"the schedule entry {entry.name!r}"
    try:
        task = get_task(entry.task)
    except WeftCompatError as exc:
        raise type(exc)(f"{here} names task {entry.task!r}: {exc}") from None
    if "eta" in entry.options:
        raise InvalidOptionValue(
            f"{here} has option eta={entry.options['eta']!r}: a periodic call is due when "
            "its schedule says; use countdown to run it a little after"
        )
    try:
        configured = task.using(**entry.options) if entry.options else task
        prepared = prepare_call(configured, entry.args, entry.kwargs)
    except WeftCompatError as exc:
        raise type(exc)(f"{here}: {exc}") from None
    expires = configured.options.expires
    if isinstance(expires, datetime):
        raise InvalidOptionValue(
            f"{here} has option expires={expires!r}: give the seconds each call may wait "
            "after its due moment"
        )
    envelope = dataclasses.replace(prepared.envelope, eta=None, expires=None)
    data = schedule_data(entry.schedule)
    countdown = configured.options.countdown
    body = envelope.to_json()
    fingerprint = hashlib.sha256(
        json.dumps(
            [entry.task, data, body, expires, countdown, entry.missed, timezone], sort_keys=True
        ).encode()
    ).hexdigest()[:16]
    return PublishedEntry(
        name=entry.name,
        task=entry.task,
        schedule=data,
        envelope=body,
        fingerprint=fingerprint,
        since=since,
        missed=entry.missed,
        expires_after=expires,
        countdown=countdown,
        description=entry.schedule.describe(),
    )


def validate_schedule() -> list[PublishedEntry]:
    """Bind every configured entry, raising the first error; publishes nothing."""
    timezone = current_settings().TIMEZONE
    zone_of(timezone, "WEFT_COMPAT['TIMEZONE']")
    return [bind_entry(entry, timezone) for entry in configured_entries()]


def publish_schedule(started: float) -> PublishedSchedule:
    """Publish the configured schedule unless it is in force already; returns the one
    in force. `started` is when this process started: a schedule published by a process
    started later is left alone."""
    bound = validate_schedule()
    current = read_published()
    if current is not None and current.started > started:
        return current
    previous = {entry.name: entry for entry in current.entries} if current else {}
    now = time.time()
    entries = []
    for entry in bound:
        prior = previous.get(entry.name)
        kept = prior is not None and prior.fingerprint == entry.fingerprint
        entries.append(dataclasses.replace(entry, since=prior.since if kept and prior else now))
    timezone = current_settings().TIMEZONE
    if current is not None and current.timezone == timezone and tuple(entries) == current.entries:
        return current
    if current is None and not entries:
        return PublishedSchedule(timezone=timezone, started=started)  # Nothing to publish.
    schedule = PublishedSchedule(
        timezone=timezone,
        entries=tuple(entries),
        started=started,
        published=now,
        publisher=f"{socket.gethostname()}:{os.getpid()}",
    )
    message_id = write_published(schedule)
    return dataclasses.replace(schedule, message_id=message_id)
