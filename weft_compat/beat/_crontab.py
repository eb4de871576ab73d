"""`crontab`: Celery's cron-style schedule, read as Celery reads it, right across DST.

The fields and their spellings are Celery's (`minute`, `hour`, `day_of_week`,
`day_of_month`, `month_of_year`; `"*/15"`, `"mon-fri"`, `"1,15"`, ints, and sets or
ranges of ints), parsed and iterated by croniter. As in Celery, a day must match
`day_of_week` *and* `day_of_month` when both are given (cron itself takes either).

Due times are found in the schedule's time zone on the wall clock, then turned into
moments: a time the clock skips (spring forward) is due as many minutes after the
change as it would have been before it (02:30 becomes 03:30), so no tick is lost; a
time the clock repeats (fall back) is due once, at its first occurrence, unless the
schedule runs every hour (`hour="*"`), which keeps running through both.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from croniter import CroniterError, croniter

from weft_compat.exceptions import InvalidOptionValue

__all__ = ["FIELDS", "crontab"]

# Celery's argument order, which is also how `crontab(0, 7)` is read.
FIELDS: Final = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
# croniter's expression order: minute hour day-of-month month day-of-week.
_CRON_ORDER: Final = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")
_DAY_NAMES: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FULL_DAY_NAMES: Final = {
    "sunday": "sun",
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
}
# The widest shift a time zone's clock makes (Lord Howe's half hour to a few hours).
_WIDEST_SHIFT: Final = timedelta(hours=3)


def _field_text(name: str, value: Any) -> str:
    """One Celery field value as cron text, or an error naming the field and the fix."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Iterable)):
        raise InvalidOptionValue(
            f"crontab({name}={value!r}) is invalid: give an int, a string such as '*/15', "
            "'1,15' or 'mon-fri', or a set of ints"
        )
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if name == "day_of_week":
            for full, short in _FULL_DAY_NAMES.items():
                text = text.replace(full, short)
    else:
        items = list(value)
        if not items or any(isinstance(item, bool) or not isinstance(item, int) for item in items):
            raise InvalidOptionValue(
                f"crontab({name}={value!r}) is invalid: a collection must hold ints only, "
                "at least one"
            )
        text = ",".join(str(item) for item in sorted(set(items)))
    if not text:
        raise InvalidOptionValue(f"crontab({name}={value!r}) is invalid: it is empty; use '*'")
    probe = " ".join(text if field == name else "*" for field in _CRON_ORDER)
    try:
        croniter.expand(probe)
    except (CroniterError, ValueError) as exc:
        raise InvalidOptionValue(f"crontab({name}={value!r}) is invalid: {exc}") from None
    return text


class crontab:
    """A cron-style schedule: `crontab(minute=0, hour="*/3")`, as Celery's (and under
    Celery's lower-case name, so schedules move over unchanged).

    Every field defaults to `"*"`. Invalid fields are refused here, naming the field.
    """

    __slots__ = ("_expression", "_sets", "fields")

    def __init__(
        self,
        minute: Any = "*",
        hour: Any = "*",
        day_of_week: Any = "*",
        day_of_month: Any = "*",
        month_of_year: Any = "*",
    ) -> None:
        values = dict(
            zip(FIELDS, (minute, hour, day_of_week, day_of_month, month_of_year), strict=True)
        )
        self.fields: dict[str, str] = {name: _field_text(name, values[name]) for name in FIELDS}
        self._expression = " ".join(self.fields[name] for name in _CRON_ORDER)
        expanded, _ = croniter.expand(self._expression)
        self._sets = dict(zip(_CRON_ORDER, expanded, strict=True))

    @property
    def expression(self) -> str:
        """The five-field cron expression (minute hour day-of-month month day-of-week)."""
        return self._expression

    def to_data(self) -> dict[str, str]:
        """The fields as text, for the published schedule."""
        return dict(self.fields)

    @classmethod
    def from_data(cls, data: dict[str, str]) -> crontab:
        """The schedule `to_data` wrote."""
        return cls(**{name: data[name] for name in FIELDS})

    def next_after(self, moment: float, zone: tzinfo) -> float:
        """The first due moment (Unix seconds) strictly after `moment`, in `zone`."""
        naive = datetime.fromtimestamp(moment, zone).replace(tzinfo=None)
        # Where the clock goes back near `moment`, a wall-clock time before `naive` can
        # still be due after `moment`: look back as far as the clock goes.
        times = croniter(self._expression, naive - _shift_around(moment, zone), day_or=False)
        every_hour = len(self._sets["hour"]) == 24 or self._sets["hour"] == ["*"]
        best: float | None = None
        best_wall = naive
        reach = timedelta()
        while True:
            wall: datetime = times.get_next(datetime)
            # Later wall-clock times stand for later moments, except within a shift.
            if best is not None and wall > best_wall + reach:
                return best
            for candidate in _moments(wall, zone, both=every_hour):
                if candidate > moment and (best is None or candidate < best):
                    best = candidate
                    best_wall = wall
                    reach = _shift_around(candidate, zone)

    def describe(self) -> str:
        """The schedule in words, e.g. `at 07:30 on mon-fri`."""
        minute, hour = self.fields["minute"], self.fields["hour"]
        if minute.isdigit() and hour.isdigit():
            when = f"at {int(hour):02d}:{int(minute):02d}"
        elif minute == "*":
            when = "every minute" if hour == "*" else f"every minute of hour {hour}"
        elif minute.startswith("*/") and hour == "*":
            when = f"every {minute[2:]} minutes"
        else:
            when = f"at minute {minute} of " + ("every hour" if hour == "*" else f"hour {hour}")
        days = []
        if self.fields["day_of_month"] != "*":
            days.append(f"on day {self.fields['day_of_month']} of the month")
        if self.fields["day_of_week"] != "*":
            days.append(f"on {_day_names(self.fields['day_of_week'])}")
        if self.fields["month_of_year"] != "*":
            days.append(f"in month {self.fields['month_of_year']}")
        return " ".join([when, " and ".join(days)]) if days else when

    def __eq__(self, other: object) -> bool:
        return isinstance(other, crontab) and other.fields == self.fields

    def __hash__(self) -> int:
        return hash(self._expression)

    def __repr__(self) -> str:
        changed = ", ".join(
            f"{name}={self.fields[name]!r}" for name in FIELDS if self.fields[name] != "*"
        )
        return f"crontab({changed})"


def _shift_around(moment: float, zone: tzinfo) -> timedelta:
    """How far `zone`'s clock shifts within a few hours of `moment` (zero mostly)."""
    span = _WIDEST_SHIFT.total_seconds()
    before = datetime.fromtimestamp(moment - span, zone).utcoffset() or timedelta()
    after = datetime.fromtimestamp(moment + span, zone).utcoffset() or timedelta()
    return abs(before - after)


def _moments(wall: datetime, zone: tzinfo, *, both: bool) -> list[float]:
    """The moments a wall-clock time stands for in `zone`: one, or two where the clock
    repeats it and `both` is asked for."""
    first = wall.replace(tzinfo=zone, fold=0).timestamp()
    second = wall.replace(tzinfo=zone, fold=1).timestamp()
    if second == first or not both:
        return [first]
    # A time the clock skips has fold=1 before fold=0; a repeated one the other way.
    return [first, second] if second > first else [first]


def _day_names(text: str) -> str:
    # 0-6 as Celery numbers them (0 is Sunday), kept as written otherwise.
    return "".join(
        _DAY_NAMES[int(part) % 7] if part.isdigit() else part for part in _split_keep(text, ",-/")
    )


def _split_keep(text: str, separators: str) -> list[str]:
    parts, current = [], ""
    for character in text:
        if character in separators:
            parts.extend([current, character])
            current = ""
        else:
            current += character
    parts.append(current)
    return [part for part in parts if part]
