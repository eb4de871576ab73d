"""Recent calls: times read from ids, and paging the index of ended calls by cursor."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._broker import get_broker
from weft_compat._expiry import NEVER_BUCKET, flush_ended, sweep
from weft_compat._outcome import Outcome, forget_record, write_outcome
from weft_compat._recent import Cursor, recent_calls
from weft_compat._states import FAILURE, RETRY, SUCCESS
from weft_compat._timestamps import created_at, iso
from weft_compat.exceptions import InvalidCursor

# -- what an id says ---------------------------------------------------------------------


def test_an_id_gives_the_nanosecond_it_was_made_without_its_counter_bits() -> None:
    moment = datetime(2024, 5, 17, 12, 30, 1, 250, tzinfo=UTC)
    nanoseconds = int(moment.timestamp()) * 10**9 + 250_000
    call_id = str((nanoseconds & ~0xFFF) | 7)  # a counter value in the low 12 bits
    assert len(call_id) == 19
    assert created_at(call_id) == pytest.approx(moment.timestamp(), abs=5e-6)
    # The counter's 12 bits are 4 µs of the clock: the moment, to within them.
    assert iso(created_at(call_id)) == "2024-05-17T12:30:01.000247+00:00"


def test_a_fresh_broker_id_reads_as_now() -> None:
    stamp = (time.time_ns() & ~0xFFF) | 1
    assert created_at(str(stamp)) == pytest.approx(time.time(), abs=1)


def test_a_celery_uuid_or_a_short_number_says_nothing_of_when() -> None:
    assert created_at(str(uuid.uuid4())) is None
    assert created_at("12345") is None
    assert iso(None) is None


def test_a_cursor_reads_back_what_it_printed_and_refuses_anything_else() -> None:
    cursor = Cursor(1715949001000250001, 3)
    assert Cursor.parse(str(cursor)) == cursor
    for text in ("", "abc", "1.x", "-1.0", "1715949001000250001", "1" * 20 + ".0"):
        with pytest.raises(InvalidCursor):
            Cursor.parse(text)


# -- paging the index, on a broker of its own ---------------------------------------------


@pytest.fixture
def broker_only(tmp_path: Path) -> Iterator[Path]:
    """A context of its own, used through the broker only (no workers start)."""
    with pointed_at(tmp_path):
        yield tmp_path


def end(
    count: int, *, task: str = "tests.add", state: str = SUCCESS, expires: float = 60
) -> list[str]:
    """`count` calls ended one after the other (ids from the broker, as real calls')."""
    ids = []
    for _ in range(count):
        call_id = str(get_broker().generate_timestamp())
        write_outcome(call_id, Outcome(state, value="1", task=task), expires=expires)
        ids.append(call_id)
    return ids


def all_pages(**filters: object) -> list[list[str]]:
    pages = []
    start = None
    while True:
        page = recent_calls(start=start, **filters)  # type: ignore[arg-type]
        pages.append([row.id for row in page.calls])
        if page.older is None:
            return pages
        start = Cursor.parse(str(page.older))


@pytest.mark.broker
def test_the_newest_call_comes_first_and_an_empty_index_is_one_empty_page(
    broker_only: Path,
) -> None:
    assert all_pages() == [[]]
    ids = end(3)
    page = recent_calls()
    assert [row.id for row in page.calls] == ids[::-1]
    assert page.older is None
    assert page.calls[0].task == "tests.add" and page.calls[0].state == SUCCESS
    assert page.calls[0].date_done is not None


@pytest.mark.broker
def test_pages_follow_the_cursor_without_gaps_or_repeats_across_batches(
    broker_only: Path,
) -> None:
    ids = end(7)
    for _ in range(40):  # a pool process's batches: many calls per index message
        call_id = str(get_broker().generate_timestamp())
        write_outcome(call_id, Outcome(SUCCESS, task="tests.add"), expires=60, batched=True)
        ids.append(call_id)
    flush_ended()
    ids += end(5)
    pages = all_pages(size=10)
    assert [len(page) for page in pages] == [10, 10, 10, 10, 10, 2]
    assert [call for page in pages for call in page] == ids[::-1]


@pytest.mark.broker
def test_calls_of_every_expiry_and_kept_for_ever_are_merged_newest_first(
    broker_only: Path,
) -> None:
    ids = end(2, expires=60) + end(2, expires=0) + end(2, expires=3600) + end(1, expires=60)
    assert get_broker().peek_many(NEVER_BUCKET, 10, with_timestamps=False)
    assert all_pages(size=3) == [ids[::-1][:3], ids[::-1][3:6], ids[::-1][6:]]
    assert sweep(now_ns=10**19 - 1) == 5  # the calls kept for ever stay listed
    assert all_pages() == [[ids[3], ids[2]]]


@pytest.mark.broker
def test_a_filter_stops_after_its_scan_limit_and_offers_where_it_stopped(
    broker_only: Path,
) -> None:
    [rare] = end(1, task="tests.rare", state=FAILURE)
    end(30)
    page = recent_calls(task="tests.rare", scan=20)
    assert page.calls == [] and page.stopped and page.scanned == 20
    assert page.older is not None
    rest = recent_calls(start=page.older, task="tests.rare", scan=20)
    assert [row.id for row in rest.calls] == [rare] and rest.older is None
    assert [row.id for row in recent_calls(state=FAILURE).calls] == [rare]
    assert recent_calls(queue="reports").calls == []  # no queue without RESULT_EXTENDED


@pytest.mark.broker
def test_a_row_counts_its_retries_and_a_forgotten_call_is_left_out(broker_only: Path) -> None:
    retried, forgotten = end(2)
    get_broker().write(f"weft_compat.call.{retried}", json.dumps({"state": RETRY}))
    forget_record(forgotten)
    [row] = recent_calls().calls
    assert row.id == retried and row.retries == 1 and row.duration is None


@pytest.mark.broker
def test_every_outcome_records_when_it_ended(broker_only: Path) -> None:
    [call_id] = end(1)
    body = WeftSubmission.from_tid(call_id).as_dict()
    assert body["date_done"] >= body["date_created"]
    assert "args" not in body and "date_started" not in body
