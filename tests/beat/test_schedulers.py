"""Periodic ticks on a real broker: one call per tick however many schedulers run (and
when one is killed), one catch-up call after downtime, late ticks expired, each tick
published with the publish signals by the scheduler that claims it, the schedule in force
published and listed."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests import broker_tasks
from tests.conftest import pointed_at, wait_for_state
from tests.signal_tasks import signalled
from weft_compat import WeftSubmission, crontab
from weft_compat._broker import get_broker
from weft_compat.beat._publish import bind_entry, publish_schedule
from weft_compat.beat._published import (
    PublishedEntry,
    PublishedSchedule,
    read_published,
    ticks_queue,
    write_published,
)
from weft_compat.beat._schedule import ScheduleEntry, schedule_of
from weft_compat.beat._ticker import Ticker
from weft_compat.beat._ticks import _claim_id, claim_tick, latest_claims
from weft_compat.beat_command import main as beat_main
from weft_compat.due import stop_movers
from weft_compat.due._registry import ensure_mover
from weft_compat.pool.command import main as worker_main
from weft_compat.signals import Signal, after_task_publish, before_task_publish

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
ADD = broker_tasks.add.name
HOUR = 3600.0


@pytest.fixture
def context(tmp_path: Path) -> Iterator[Path]:
    """A Weft context of the test's own, everything in it stopped afterwards."""
    with pointed_at(tmp_path / "weft", stop=True) as path:
        yield path


def entry(
    name: str, schedule: crontab | float, *, since: float, **options: object
) -> PublishedEntry:
    """An entry of `add(2, 3)` bound as the publisher binds it."""
    spec = ScheduleEntry(name, ADD, schedule_of(schedule, "test"), (2, 3), {}, dict(options))
    return bind_entry(spec, "UTC", since=since)


def publish(*entries: PublishedEntry) -> None:
    write_published(PublishedSchedule(entries=entries, started=time.time(), published=time.time()))


def hours_ago(hours: int) -> crontab:
    """A daily crontab whose latest due moment was `hours` hours ago (on the hour)."""
    now = datetime.now(UTC)
    return crontab(minute=0, hour=(now.hour - hours) % 24)


def beat(context: Path, notes: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WEFT_COMPAT_CONTEXT": str(context),
        "BEAT_TEST_NOTES": str(notes),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "weft_compat", "beat", "-I", "tests.beat.every_second"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_three_schedulers_one_of_them_killed_give_one_call_per_tick(
    context: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    schedulers = [beat(context, notes) for _ in range(3)]
    try:
        time.sleep(6)
        killed_at = time.time()
        schedulers[0].send_signal(signal.SIGKILL)
        time.sleep(6)
    finally:
        for process in schedulers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=30) for process in schedulers]
    stop_movers()  # Movers tick too: stop them before counting.
    claims = latest_claims("every second", 1000)
    dues = sorted(claim.due for claim in claims)
    assert codes[1:] == [0, 0], [p.stderr.read() if p.stderr else "" for p in schedulers]
    assert len(dues) >= 9, dues
    assert [later - earlier for earlier, later in itertools.pairwise(dues)] == [1.0] * (
        len(dues) - 1
    ), "a tick was skipped or claimed twice"
    assert sum(due > killed_at + 1 for due in dues) >= 3  # Ticking went on after the kill.
    calls = [claim.call_id for claim in claims]
    for call in calls:
        wait_for_state(WeftSubmission.from_tid(call), "SUCCESS")
    ran = Counter(notes.read_text().split())
    assert ran == Counter(calls), "each tick's call runs once, and only ticks' calls run"


def test_after_downtime_an_entry_runs_once_and_each_scheduler_agrees(context: Path) -> None:
    now = time.time()
    daily = entry("daily report", hours_ago(3), since=now - 10 * 86400)
    publish(daily)
    ensure_mover()
    first, second = Ticker(), Ticker()
    first.step()
    second.step()
    first.step()
    [claim] = latest_claims("daily report", 10)
    assert [c.entry for c in first.claimed + second.claimed] == []  # Claimed once, earlier.
    assert claim.due == daily.parsed_schedule().next_after(now - 86400, UTC)
    assert now - claim.due >= 2 * HOUR  # The tick missed three hours ago, run now.
    wait_for_state(WeftSubmission.from_tid(claim.call_id), "SUCCESS")
    assert WeftSubmission.from_tid(claim.call_id).return_value == 5


def test_after_downtime_only_the_latest_missed_tick_runs(context: Path) -> None:
    now = time.time()
    hourly = entry("hourly", crontab(minute=0), since=now - 86400)
    publish(hourly)
    assert claim_tick(hourly, hourly.parsed_schedule().next_after(now - 6 * HOUR, UTC))
    Ticker().step()
    dues = [claim.due for claim in latest_claims("hourly", 10)]
    assert len(dues) == 2 and dues[0] == crontab(minute=0).next_after(now - HOUR, UTC)


def test_a_skip_missed_entry_waits_for_its_next_due_moment(context: Path) -> None:
    now = time.time()
    publish(
        dataclasses.replace(entry("skipping", hours_ago(3), since=now - 10 * 86400), missed="skip")
    )
    ticker = Ticker()
    upcoming = ticker.step()
    assert latest_claims("skipping", 10) == []
    assert upcoming is not None and upcoming > now + 20 * HOUR


def test_a_new_entry_waits_for_its_first_due_moment(context: Path) -> None:
    publish(entry("fresh", hours_ago(3), since=time.time()))
    Ticker().step()
    assert latest_claims("fresh", 10) == []


def test_a_late_tick_with_expires_ends_revoked_and_a_timely_one_runs(context: Path) -> None:
    now = time.time()
    expiring = entry("expiring", 60.0, since=now - HOUR, expires=5)
    publish(expiring)
    ensure_mover()
    late = claim_tick(expiring, now - 30)
    timely = claim_tick(expiring, now)
    assert late is not None and timely is not None
    wait_for_state(WeftSubmission.from_tid(late.call_id), "REVOKED")
    wait_for_state(WeftSubmission.from_tid(timely.call_id), "SUCCESS")
    assert "expired" in str(WeftSubmission.from_tid(late.call_id).as_dict())


def test_a_tick_is_claimed_once_even_where_two_entries_share_a_claim_id(context: Path) -> None:
    due = float(int(time.time()))
    cells: dict[int, str] = {}
    pair = None
    for n in range(5000):
        name = f"entry {n}"
        claim_id = _claim_id(name, due, 0)
        if claim_id in cells:
            pair = (cells[claim_id], name)
            break
        cells[claim_id] = name
    assert pair is not None
    now = time.time()
    first, second = (entry(name, 60.0, since=now - HOUR) for name in pair)
    publish(first, second)
    claims = [claim_tick(first, due), claim_tick(second, due)]
    again = [claim_tick(first, due), claim_tick(second, due)]
    assert all(claim is not None for claim in claims) and again == [None, None]
    assert claims[0] and claims[1] and claims[0].message_id != claims[1].message_id
    assert len(get_broker().peek_many(ticks_queue(pair[1]), 10, with_timestamps=False)) == 1


def test_publishing_keeps_unchanged_entries_and_refuses_an_older_process(context: Path) -> None:
    schedule = {
        "kept": {"task": ADD, "schedule": 60, "args": (1, 1)},
        "changed": {"task": ADD, "schedule": 60, "args": (1, 1)},
        "removed": {"task": ADD, "schedule": 60, "args": (1, 1)},
    }
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": schedule}):
        first = publish_schedule(started=time.time())
    old = {each.name: each for each in first.entries}
    claim_tick(old["removed"], float(int(time.time())))
    time.sleep(0.01)
    schedule = {**schedule, "changed": {**schedule["changed"], "schedule": 120}}
    del schedule["removed"]
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": schedule}):
        second = publish_schedule(started=time.time())
        stale = publish_schedule(started=first.started - 1)
    now = {each.name: each for each in second.entries}
    assert now["kept"].since == old["kept"].since
    assert now["changed"].since > old["changed"].since
    assert "removed" not in now and latest_claims("removed") == []
    assert stale == second and read_published() == second


def test_beat_list_prints_each_entry_with_its_last_and_next_tick(
    context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if time.time() % 60 > 40:  # The mover would tick the next minute before the list.
        time.sleep(61 - time.time() % 60)
    now = time.time()
    listed = entry("listed", 60.0, since=now - HOUR)
    publish(listed)
    ensure_mover()
    claim = claim_tick(listed, float(int(now // 60 * 60)))
    assert claim is not None
    wait_for_state(WeftSubmission.from_tid(claim.call_id), "SUCCESS")
    assert beat_main(["--list", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    [row] = shown["entries"]
    assert shown["source"] == "published" and row["schedule"] == "every minute"
    assert row["last"]["id"] == claim.call_id and row["last"]["state"] == "SUCCESS"
    assert datetime.fromisoformat(row["next"]).timestamp() == claim.due + 60
    call_command("weft_beat", "--list")
    text = capsys.readouterr().out
    assert "listed: tests.broker_tasks.add every minute" in text
    assert f"last tick: {claim.call_id} SUCCESS" in text


def test_a_worker_or_beat_with_an_invalid_schedule_refuses_to_start(
    context: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"x": {"task": "tests.broker_tasks.nope", "schedule": 5}}
    with override_settings(WEFT_COMPAT={"BEAT_SCHEDULE": bad}):
        assert beat_main([]) == 2
        assert worker_main([]) == 2
    errors = capsys.readouterr().err
    assert errors.count("the schedule entry 'x' names task 'tests.broker_tasks.nope'") == 2
    assert read_published() is None


def test_the_scheduler_that_claims_a_tick_publishes_it_and_no_other_does(context: Path) -> None:
    now = time.time()
    minutely = entry("published", 60.0, since=now - HOUR)
    publish(minutely)
    seen: list[tuple[str, object, str | None, str | None]] = []

    def on_publish(signal: Signal, sender: object, headers: dict[str, Any], **_: Any) -> None:
        seen.append((signal.name, sender, headers["id"], headers["eta"]))

    due = float(int(now))
    before_task_publish.connect(on_publish, weak=False)
    after_task_publish.connect(on_publish, weak=False)
    try:
        claim = claim_tick(minutely, due)
        again = claim_tick(minutely, due)  # Another scheduler, a moment later.
    finally:
        before_task_publish.disconnect(on_publish)
        after_task_publish.disconnect(on_publish)
    assert claim is not None and again is None
    moment = datetime.fromtimestamp(due, UTC).isoformat()
    assert seen == [
        ("before_task_publish", ADD, None, moment),
        ("after_task_publish", ADD, claim.call_id, moment),
    ]


def test_a_mover_publishes_its_ticks_where_the_deployments_receivers_are(
    context: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ticks.jsonl"
    spec = ScheduleEntry(
        "journalled",
        signalled.name,
        schedule_of(1.0, "test"),
        (str(path), "ok"),
        {},
        {"headers": {"journal": True}},
    )
    publish(bind_entry(spec, "UTC", since=time.time()))
    ensure_mover(need=signalled.worker_config)  # It loads tests.signal_tasks to publish.
    deadline = time.monotonic() + 60
    while "after_task_publish" not in (path.read_text() if path.exists() else ""):
        assert time.monotonic() < deadline, "the mover published no tick"
        time.sleep(0.1)
    stop_movers()
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    published = [entry for entry in entries if entry["signal"].endswith("_publish")]
    assert {entry["pid"] for entry in published} != {os.getpid()}
    assert [entry["signal"] for entry in published[:2]] == [
        "before_task_publish",
        "after_task_publish",
    ]
    first = published[1]["id"]
    assert first in {claim.call_id for claim in latest_claims("journalled", 100)}
