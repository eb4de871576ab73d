"""Schedule entries in Celery's shape, validated with errors that name the entry and field.

An entry is Celery's dict: `{"task": "app.tasks.x", "schedule": ..., "args": ...,
"kwargs": ..., "options": {...}}`, plus weft_compat's `"missed"` (`"run_once"`, Celery's
behaviour and the default, or `"skip"`). A schedule is a number of seconds or a
`timedelta` (`Every`, due on multiples of it counted from the Unix epoch, so every
scheduler agrees on the moments) or a `crontab`. Binding an entry to its task is the
runtime's job (`_publish`); this module checks only what needs no task.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from weft_compat.beat._crontab import crontab
from weft_compat.exceptions import InvalidOptionValue

__all__ = [
    "ENTRY_KEYS",
    "Every",
    "Missed",
    "Schedule",
    "ScheduleEntry",
    "parse_entries",
    "parse_entry",
    "schedule_from_data",
    "schedule_of",
    "zone_of",
]

Missed = Literal["run_once", "skip"]
ENTRY_KEYS: Final = ("task", "schedule", "args", "kwargs", "options", "missed")
# Ticks closer together than this would be a unit mistake (milliseconds for seconds).
_SHORTEST_SECONDS: Final = 1.0
_UNITS: Final = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


@dataclass(frozen=True, slots=True)
class Every:
    """An interval: due at each multiple of `seconds` since the Unix epoch."""

    seconds: float

    def next_after(self, moment: float, zone: tzinfo | None = None) -> float:
        """The first due moment strictly after `moment` (the zone does not matter)."""
        due = (math.floor(moment / self.seconds) + 1) * self.seconds
        return due if due > moment else due + self.seconds

    def latest_by(self, moment: float) -> float:
        """The last due moment at or before `moment`."""
        return math.floor(moment / self.seconds) * self.seconds

    def describe(self) -> str:
        """`every 10 seconds`, `every 5 minutes`, `every day`."""
        for unit, size in _UNITS:
            count = self.seconds / size
            if count >= 1 and count == int(count):
                return f"every {unit}" if count == 1 else f"every {int(count)} {unit}s"
        return f"every {self.seconds:g} seconds"

    def to_data(self) -> dict[str, Any]:
        """The interval, for the published schedule."""
        return {"every": self.seconds}


Schedule = Every | crontab


def schedule_of(value: Any, where: str) -> Schedule:
    """The schedule `value` stands for: seconds, a `timedelta`, or a `crontab`."""
    if isinstance(value, crontab):
        return value
    seconds: float | None = None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    if seconds is None:
        raise InvalidOptionValue(
            f"{where} = {value!r} is invalid: give seconds, a timedelta, or "
            "weft_compat.crontab(...) (solar schedules are not supported)"
        )
    if not math.isfinite(seconds) or seconds < _SHORTEST_SECONDS:
        raise InvalidOptionValue(
            f"{where} = {value!r} is invalid: an interval must be at least "
            f"{_SHORTEST_SECONDS:g} second"
        )
    return Every(seconds)


def schedule_from_data(data: Mapping[str, Any]) -> Schedule:
    """The schedule `Every.to_data` or `crontab.to_data` (under `"crontab"`) wrote."""
    if "every" in data:
        return Every(float(data["every"]))
    return crontab.from_data(dict(data["crontab"]))


def schedule_data(schedule: Schedule) -> dict[str, Any]:
    """The schedule as JSON-ready data."""
    if isinstance(schedule, Every):
        return schedule.to_data()
    return {"crontab": schedule.to_data()}


def zone_of(name: str, where: str) -> ZoneInfo:
    """The time zone called `name`, or an error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidOptionValue(
            f"{where} = {name!r} is not a time zone; use an IANA name such as "
            "'UTC' or 'Europe/Berlin'"
        ) from None


@dataclass(frozen=True, slots=True)
class ScheduleEntry:
    """One validated entry, not yet bound to its task."""

    name: str
    task: str
    schedule: Schedule
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    missed: Missed = "run_once"


def parse_entry(name: Any, raw: Any, where: str) -> ScheduleEntry:
    """One entry of a schedule dict; `where` names the schedule in errors."""
    if not isinstance(name, str) or not name:
        raise InvalidOptionValue(f"{where} has an entry named {name!r}: names are strings")
    here = f"{where}[{name!r}]"
    if not isinstance(raw, Mapping):
        raise InvalidOptionValue(
            f"{here} = {raw!r} is invalid: an entry is a dict with 'task' and 'schedule'"
        )
    unknown = sorted(str(key) for key in raw if key not in ENTRY_KEYS)
    if unknown:
        hint = (
            " (intervals always count from the epoch here, see migration_guide/beat.md)"
            if "relative" in unknown
            else ""
        )
        raise InvalidOptionValue(
            f"{here} has unknown key {unknown[0]!r}: the keys are {', '.join(ENTRY_KEYS)}{hint}"
        )
    for key in ("task", "schedule"):
        if key not in raw:
            raise InvalidOptionValue(f"{here} has no {key!r}: every entry names one")
    task = raw["task"]
    if not isinstance(task, str) or not task:
        raise InvalidOptionValue(
            f"{here}['task'] = {task!r} is invalid: give the task's registered name"
        )
    args = raw.get("args", ())
    if not isinstance(args, (list, tuple)):
        raise InvalidOptionValue(f"{here}['args'] = {args!r} is invalid: give a tuple or list")
    kwargs = raw.get("kwargs", {})
    if not isinstance(kwargs, Mapping) or not all(isinstance(key, str) for key in kwargs):
        raise InvalidOptionValue(
            f"{here}['kwargs'] = {kwargs!r} is invalid: give a dict with string keys"
        )
    options = raw.get("options", {})
    if not isinstance(options, Mapping):
        raise InvalidOptionValue(f"{here}['options'] = {options!r} is invalid: give a dict")
    missed = raw.get("missed", "run_once")
    if missed not in ("run_once", "skip"):
        raise InvalidOptionValue(
            f"{here}['missed'] = {missed!r} is invalid: give 'run_once' or 'skip'"
        )
    return ScheduleEntry(
        name=name,
        task=task,
        schedule=schedule_of(raw["schedule"], f"{here}['schedule']"),
        args=tuple(args),
        kwargs=dict(kwargs),
        options=dict(options),
        missed=missed,
    )


def parse_entries(raw: Any, where: str) -> list[ScheduleEntry]:
    """Every entry of a Celery-shaped schedule dict, in its order."""
    if not isinstance(raw, Mapping):
        raise InvalidOptionValue(f"{where} = {raw!r} is invalid: a schedule is a dict of entries")
    return [parse_entry(name, entry, where) for name, entry in raw.items()]
