"""crontab: Celery's fields and spellings, Celery's day rule, and DST in two time zones."""

from __future__ import annotations

import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab as celery_crontab

from weft_compat import crontab
from weft_compat.exceptions import InvalidOptionValue

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def ticks(schedule: crontab, zone: ZoneInfo, start: str, count: int) -> list[str]:
    """`count` due moments after the wall-clock time `start` in `zone`, as local text."""
    moment = datetime.fromisoformat(start).replace(tzinfo=zone).timestamp()
    found = []
    for _ in range(count):
        moment = schedule.next_after(moment, zone)
        found.append(datetime.fromtimestamp(moment, zone).strftime("%m-%d %H:%M%z"))
    return found


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("schedule", "start", "expected"),
    [
        (crontab(), "2026-01-01 10:00:30", "2026-01-01 10:01"),
        (crontab(minute="*/15"), "2026-01-01 10:00", "2026-01-01 10:15"),
        (crontab(minute=0, hour="*/3"), "2026-01-01 10:00", "2026-01-01 12:00"),
        (crontab(minute=30, hour=7, day_of_week="mon-fri"), "2026-01-02 08:00", "2026-01-05 07:30"),
        (crontab(0, 0, day_of_month="1,15"), "2026-01-02 00:00", "2026-01-15 00:00"),
        (crontab(0, 0, month_of_year=6, day_of_month=1), "2026-01-02 00:00", "2026-06-01 00:00"),
        (crontab(minute={0, 30}, hour=range(9, 11)), "2026-01-01 09:30", "2026-01-01 10:00"),
        (crontab(0, 12, day_of_week="sunday"), "2026-01-01 00:00", "2026-01-04 12:00"),
        (crontab(0, 12, day_of_week=0), "2026-01-01 00:00", "2026-01-04 12:00"),
        (crontab(0, 7, "1-5/2"), "2026-01-01 08:00", "2026-01-02 07:00"),
    ],
)
def test_fields_are_read_as_celery_reads_them(schedule: crontab, start: str, expected: str) -> None:
    assert schedule.next_after(utc(start), UTC) == utc(expected)


def test_a_day_must_match_both_day_of_month_and_day_of_week_as_in_celery() -> None:
    # Friday the 13th: cron would take every 13th and every Friday; Celery takes both.
    friday_13th = crontab(minute=0, hour=0, day_of_month=13, day_of_week="fri")
    assert ticks(friday_13th, ZoneInfo("UTC"), "2026-01-01 00:00", 3) == [
        "02-13 00:00+0000",
        "03-13 00:00+0000",
        "11-13 00:00+0000",
    ]


def test_next_due_matches_celery_for_many_schedules_in_utc() -> None:
    spellings = {
        "minute": ["*", "0", "*/15", "5,35", "10-20/5", 7],
        "hour": ["*", "0", "*/6", "9-17", 23],
        "day_of_week": ["*", "mon-fri", "sat,sun", "1", "fri"],
        "day_of_month": ["*", "1", "1,15", "10-20"],
        "month_of_year": ["*", "1-6", "3,9"],
    }
    generator = random.Random(7)
    for _ in range(150):
        fields = {name: generator.choice(values) for name, values in spellings.items()}
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=generator.randrange(525_600))
        ours = crontab(**fields).next_after(start.timestamp(), UTC)
        theirs = celery_crontab(**fields, nowfun=lambda start=start: start)
        expected = start + theirs.remaining_estimate(start)
        assert ours == expected.timestamp(), (fields, start)


def test_a_time_the_clock_skips_runs_later_that_hour_not_never() -> None:
    # Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST.
    assert ticks(crontab(minute=30, hour=2), BERLIN, "2026-03-27 12:00", 3) == [
        "03-28 02:30+0100",
        "03-29 03:30+0200",
        "03-30 02:30+0200",
    ]
    # New York, 2026-03-08: 02:00 EST becomes 03:00 EDT.
    assert ticks(crontab(minute=15, hour=2), NEW_YORK, "2026-03-07 12:00", 2) == [
        "03-08 03:15-0400",
        "03-09 02:15-0400",
    ]


def test_every_quarter_hour_keeps_its_pace_when_the_clock_skips() -> None:
    assert ticks(crontab(minute="*/15"), BERLIN, "2026-03-29 01:20", 5) == [
        "03-29 01:30+0100",
        "03-29 01:45+0100",
        "03-29 03:00+0200",
        "03-29 03:15+0200",
        "03-29 03:30+0200",
    ]


def test_a_time_in_the_repeated_hour_runs_once() -> None:
    # Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 comes twice.
    assert ticks(crontab(minute=30, hour=2), BERLIN, "2026-10-24 12:00", 3) == [
        "10-25 02:30+0200",
        "10-26 02:30+0100",
        "10-27 02:30+0100",
    ]
    # New York, 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00 comes twice.
    assert ticks(crontab(minute=0, hour=1), NEW_YORK, "2026-10-31 12:00", 2) == [
        "11-01 01:00-0400",
        "11-02 01:00-0500",
    ]


def test_an_every_hour_schedule_runs_through_both_repeated_hours() -> None:
    quarter_hours = ticks(crontab(minute="*/15"), BERLIN, "2026-10-25 01:50", 9)
    assert quarter_hours == [
        "10-25 02:00+0200",
        "10-25 02:15+0200",
        "10-25 02:30+0200",
        "10-25 02:45+0200",
        "10-25 02:00+0100",
        "10-25 02:15+0100",
        "10-25 02:30+0100",
        "10-25 02:45+0100",
        "10-25 03:00+0100",
    ]
    assert ticks(crontab(minute=0), NEW_YORK, "2026-11-01 00:10", 3) == [
        "11-01 01:00-0400",
        "11-01 01:00-0500",
        "11-01 02:00-0500",
    ]


def test_no_moment_is_due_twice_over_a_dst_year() -> None:
    for zone in (BERLIN, NEW_YORK):
        schedule = crontab(minute="0,30")
        moment = datetime(2026, 1, 1, tzinfo=zone).timestamp()
        seen = []
        while moment < datetime(2027, 1, 1, tzinfo=zone).timestamp():
            moment = schedule.next_after(moment, zone)
            seen.append(moment)
        assert seen == sorted(set(seen))
        gaps = {later - earlier for earlier, later in itertools.pairwise(seen)}
        assert gaps == {1800.0}  # Every half hour of real time, DST or not.


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"minute": 60}, "minute=60"),
        ({"hour": "25"}, "hour='25'"),
        ({"day_of_week": "funday"}, "day_of_week='funday'"),
        ({"day_of_month": 0}, "day_of_month=0"),
        ({"month_of_year": "13"}, "month_of_year='13'"),
        ({"minute": 1.5}, "minute=1.5"),
        ({"hour": True}, "hour=True"),
        ({"minute": ""}, "minute=''"),
        ({"minute": [1, "x"]}, "minute=[1, 'x']"),
    ],
)
def test_an_invalid_field_is_refused_naming_it(fields: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidOptionValue, match="^" + re.escape(f"crontab({named}) is invalid")):
        crontab(**fields)


def test_a_crontab_reads_as_written_and_in_words() -> None:
    assert repr(crontab(minute=0, hour="*/3")) == "crontab(minute='0', hour='*/3')"
    assert crontab(0, 7).describe() == "at 07:00"
    assert crontab(30, 7, day_of_week="1-5").describe() == "at 07:30 on mon-fri"
    assert crontab("*/15").describe() == "every 15 minutes"
    assert crontab().describe() == "every minute"
    assert crontab(0).describe() == "at minute 0 of every hour"
    assert (
        crontab(0, 0, day_of_month=13, day_of_week="fri").describe()
        == "at 00:00 on day 13 of the month and on fri"
    )
    assert crontab(0, 7) == crontab("0", "7") and crontab(0, 7) != crontab(0, 8)
    assert crontab.from_data(crontab(5, "*/2").to_data()) == crontab(5, "*/2")
