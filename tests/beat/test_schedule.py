"""Schedules in Celery's shape: entries validated with errors naming the entry and field,
bound to their tasks before anything is published; intervals; the code form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings

from tests import broker_tasks
from weft_compat import add_beat_schedule, add_periodic_task, crontab
from weft_compat._envelope import Envelope
from weft_compat.beat._code import clear_code_entries
from weft_compat.beat._publish import validate_schedule
from weft_compat.beat._schedule import Every, parse_entries
from weft_compat.beat._ticks import _claim_id
from weft_compat.exceptions import InvalidOptionValue, TaskNotRegistered, WeftCompatError

ADD = broker_tasks.add.name
SETTING = "WEFT_COMPAT['BEAT_SCHEDULE']"


@pytest.fixture(autouse=True)
def no_code_entries() -> Iterator[None]:
    clear_code_entries()
    yield
    clear_code_entries()


def bound(schedule: dict[str, Any], **settings: Any) -> list[Any]:
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": schedule, **settings}):
        return validate_schedule()


def test_an_interval_is_due_on_its_multiples_since_the_epoch() -> None:
    every = Every(10)
    assert every.next_after(1_000_003.5) == 1_000_010
    assert every.next_after(1_000_010) == 1_000_020
    assert every.latest_by(1_000_019.9) == 1_000_010
    assert [Every(s).describe() for s in (1, 10, 60, 300, 3600, 86400, 1.5)] == [
        "every second",
        "every 10 seconds",
        "every minute",
        "every 5 minutes",
        "every hour",
        "every day",
        "every 1.5 seconds",
    ]


def test_seconds_a_timedelta_and_a_crontab_are_schedules() -> None:
    entries = parse_entries(
        {
            "a": {"task": ADD, "schedule": 30},
            "b": {"task": ADD, "schedule": timedelta(minutes=5), "args": [1, 2]},
            "c": {"task": ADD, "schedule": crontab(minute=0), "missed": "skip"},
        },
        SETTING,
    )
    assert [entry.schedule for entry in entries] == [Every(30), Every(300), crontab(minute=0)]
    assert entries[1].args == (1, 2) and entries[2].missed == "skip"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"schedule": 5}, "[SETTING]['x'] has no 'task'"),
        ({"task": ADD}, "[SETTING]['x'] has no 'schedule'"),
        ({"task": ADD, "schedule": "5"}, "[SETTING]['x']['schedule'] = '5' is invalid"),
        ({"task": ADD, "schedule": 0.5}, "[SETTING]['x']['schedule'] = 0.5 is invalid"),
        ({"task": ADD, "schedule": True}, "[SETTING]['x']['schedule'] = True is invalid"),
        (
            {"task": ADD, "schedule": 5, "relative": True},
            "[SETTING]['x'] has unknown key 'relative'",
        ),
        ({"task": ADD, "schedule": 5, "args": 3}, "[SETTING]['x']['args'] = 3 is invalid"),
        ({"task": ADD, "schedule": 5, "kwargs": [1]}, "[SETTING]['x']['kwargs'] = [1] is invalid"),
        ({"task": ADD, "schedule": 5, "options": 1}, "[SETTING]['x']['options'] = 1 is invalid"),
        (
            {"task": ADD, "schedule": 5, "missed": "all"},
            "[SETTING]['x']['missed'] = 'all' is invalid",
        ),
        ({"task": 7, "schedule": 5}, "[SETTING]['x']['task'] = 7 is invalid"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry_and_the_field(
    entry: dict[str, Any], message: str
) -> None:
    expected = message.replace("[SETTING]", SETTING)
    with pytest.raises(InvalidOptionValue, match="^" + re.escape(expected)):
        parse_entries({"x": entry}, SETTING)


def test_binding_builds_each_call_as_enqueue_would() -> None:
    [entry] = bound(
        {"sum": {"task": ADD, "schedule": 60, "args": (1, 2), "options": {"expires": 30}}},
        TIMEZONE="Europe/Berlin",
    )
    envelope = Envelope.from_json(entry.envelope)
    assert (entry.name, entry.task, entry.expires_after, entry.description) == (
        "sum",
        ADD,
        30,
        "every minute",
    )
    assert envelope.task == ADD and envelope.eta is None and envelope.expires is None
    assert '"args": [1, 2]' in envelope.call


@pytest.mark.parametrize(
    ("entry", "error", "message"),
    [
        (
            {"task": "tests.broker_tasks.ad", "schedule": 5},
            TaskNotRegistered,
            "the schedule entry 'x' names task 'tests.broker_tasks.ad': no task is registered",
        ),
        (
            {"task": ADD, "schedule": 5, "options": {"priority": 999}},
            InvalidOptionValue,
            "the schedule entry 'x': ",
        ),
        (
            {"task": ADD, "schedule": 5, "options": {"exchange": "x"}},
            WeftCompatError,
            "the schedule entry 'x': ",
        ),
        (
            {"task": ADD, "schedule": 5, "args": (1, object())},
            WeftCompatError,
            "the schedule entry 'x': ",
        ),
        (
            {"task": ADD, "schedule": 5, "options": {"eta": "soon"}},
            InvalidOptionValue,
            "the schedule entry 'x' has option eta='soon'",
        ),
    ],
)
def test_a_task_or_option_the_runtime_refuses_fails_validation_naming_the_entry(
    entry: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match="^" + re.escape(message)):
        bound({"x": entry})


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(Exception, match="'Mars/Olympus' is not a time zone"):
        bound({}, TIMEZONE="Mars/Olympus")


def test_the_code_form_adds_entries_next_to_the_settings() -> None:
    name = add_periodic_task(10.0, broker_tasks.add, args=(1, 2), name="ten", expires=5)
    add_beat_schedule({"hourly": {"task": ADD, "schedule": crontab(minute=0), "args": (3, 4)}})
    unnamed = add_periodic_task(timedelta(hours=1), ADD, args=(5, 6))
    loud = add_periodic_task(60, ADD, args=(1,), kwargs={"y": 2})
    entries = bound({"daily": {"task": ADD, "schedule": crontab(0, 0), "args": (0, 0)}})
    assert name == "ten" and unnamed == f"{ADD}(5, 6)" and loud == f"{ADD}(1, y=2)"
    assert [entry.name for entry in entries] == ["daily", "ten", "hourly", unnamed, loud]
    assert entries[1].expires_after == 5


def test_an_entry_named_both_in_settings_and_in_code_is_refused() -> None:
    add_periodic_task(10.0, broker_tasks.add, args=(1, 2), name="twice")
    with pytest.raises(InvalidOptionValue, match="'twice' is both in"):
        bound({"twice": {"task": ADD, "schedule": 5, "args": (1, 2)}})


def test_the_code_form_checks_its_schedule_at_once() -> None:
    with pytest.raises(InvalidOptionValue, match=r"add_periodic_task\(...\)\['x'\]\['schedule'\]"):
        add_periodic_task("hourly", broker_tasks.add, name="x")
    with pytest.raises(TypeError, match="needs a weft task or its registered name"):
        add_periodic_task(5, object(), name="y")  # type: ignore[arg-type]


def test_claim_ids_lie_within_the_due_millisecond_above_the_brokers_own_counters() -> None:
    due = 1_796_000_000.0
    ids = {_claim_id(f"entry {n}", due, probe) for n in range(50) for probe in range(3)}
    assert len(ids) == 150
    for claim_id in ids:
        assert int(due * 1e9) <= claim_id < int(due * 1e9) + 1_000_000
        assert claim_id % 4096 >= 3072
    assert _claim_id("a", due, 0) == _claim_id("a", due, 0) != _claim_id("a", due + 1, 0)
