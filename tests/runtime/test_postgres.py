"""Weft's PostgreSQL backend, on this machine's loopback server: every part uses it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import transaction
from django.test import override_settings

from tests import broker_tasks, canvas_tasks
from tests.conftest import pointed_at, require_service
from tests.django_project.testapp.models import Order
from tests.django_project.testapp.tasks import confirm_order
from weft_compat import WeftSubmission, chain, chord
from weft_compat._client import get_client
from weft_compat.beat._publish import bind_entry
from weft_compat.beat._published import PublishedSchedule, write_published
from weft_compat.beat._schedule import Every, ScheduleEntry
from weft_compat.beat._ticker import Ticker
from weft_compat.beat._ticks import claim_tick, latest_claims
from weft_compat.exceptions import BrokerUnavailable
from weft_compat.shutdown import stop_context

pytestmark = pytest.mark.broker

DSN = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def use(settings: dict[str, Any], context: Path) -> Iterator[None]:
    """Point this process at `settings` (a fresh client and broker handle) for a while."""
    with pointed_at(context), override_settings(WEFT_COMPAT=settings):
        yield


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A schema of its own in the loopback server's `test` database, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"wc_{uuid.uuid4().hex[:12]}"
    context = tmp_path_factory.mktemp("pg-context")
    try:
        with use({"BROKER": DSN, "BROKER_SCHEMA": schema}, context):
            try:
                yield {
                    "WEFT_COMPAT_BROKER": DSN,
                    "WEFT_COMPAT_BROKER_SCHEMA": schema,
                    "WEFT_COMPAT_CONTEXT": str(context),
                }
            finally:
                stop_context(grace=60)
    finally:
        with psycopg.connect(DSN, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def read_elsewhere(tid: str, environment: dict[str, str]) -> str:
    """The call's state as a process with nothing but the environment reads it."""
    env = {**os.environ, **environment, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = "import sys\nfrom weft_compat import WeftSubmission\n"
    script += "print(WeftSubmission.from_tid(sys.argv[1]).state)\n"
    return subprocess.run(
        [sys.executable, "-c", script, tid],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()


def test_the_broker_is_postgresql(postgres: dict[str, str]) -> None:
    assert get_client().context.broker_target.backend_name == "postgres"


@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_a_call_runs_and_any_process_reads_it(lane: str, postgres: dict[str, str]) -> None:
    handle = broker_tasks.add.using(lane=lane).enqueue(2, 3)
    assert handle.wait(timeout=120) == 5
    assert read_elsewhere(handle.tid, postgres) == "SUCCESS"


def test_a_deferred_call_and_a_retry_chain_run_on_postgresql(
    postgres: dict[str, str], tmp_path: Path
) -> None:
    deferred = broker_tasks.add.using(countdown=1).enqueue(1, 1)
    assert deferred.state == "PENDING"
    retried = broker_tasks.flaky.enqueue(str(tmp_path / "flaky"), failures=2)
    assert deferred.wait(timeout=120) == 2
    assert retried.wait(timeout=120) == {"attempts": 3, "retries": 2}
    assert retried.retries == 2


def test_a_queued_call_is_revoked_before_it_runs(postgres: dict[str, str]) -> None:
    handle = broker_tasks.add.using(countdown=30).enqueue(1, 2)
    handle.stop()
    assert handle.state == "REVOKED"


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_enqueue_on_commit_submits_to_postgresql_after_the_commit(
    postgres: dict[str, str],
) -> None:
    # The project's database and the broker are both PostgreSQL, as in production.
    with transaction.atomic(using="other"):
        order = Order.objects.using("other").create(reference="PG-1")
        deferred = confirm_order.using(database="other").enqueue_on_commit(order.pk)
        assert not deferred.submitted
    assert deferred.submitted
    assert deferred.result(timeout=120).value == f"confirmed {order.pk}"

    with pytest.raises(RuntimeError), transaction.atomic(using="other"):
        rolled_back = confirm_order.using(database="other").enqueue_on_commit(0)
        raise RuntimeError("rolled back")
    assert not rolled_back.submitted


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://postgres@127.0.0.1:1/test",
        "postgresql://postgres:s3cret@127.0.0.1:1/test",
    ],
)
def test_an_unreachable_broker_is_one_error_naming_where_and_nothing_is_queued(
    dsn: str, tmp_path: Path
) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    with (
        use({"BROKER": dsn, "BROKER_SCHEMA": "wc_never"}, tmp_path),
        pytest.raises(BrokerUnavailable, match=r"127\.0\.0\.1:1/test") as raised,
    ):
        broker_tasks.add.enqueue(1, 2)
    assert "s3cret" not in str(raised.value)
    assert isinstance(raised.value, ConnectionError)


def test_a_dsn_without_a_database_is_refused_naming_it(tmp_path: Path) -> None:
    settings = {"BROKER": "postgresql://postgres:s3cret@127.0.0.1", "BROKER_SCHEMA": "x"}
    with (
        use(settings, tmp_path),
        pytest.raises(ValueError, match="names no host or database") as raised,
    ):
        WeftSubmission.from_tid("1000000000000000001").exists()
    assert "s3cret" not in str(raised.value)


def test_a_tick_is_claimed_once_by_two_schedulers_on_postgresql(postgres: dict[str, str]) -> None:
    now = time.time()
    spec = ScheduleEntry("pg tick", broker_tasks.add.name, Every(60.0), (2, 3))
    entry = bind_entry(spec, "UTC", since=now - 3600)
    write_published(PublishedSchedule(entries=(entry,), started=now, published=now))
    try:
        first, second = Ticker(), Ticker()
        first.step()
        second.step()
        claims = latest_claims("pg tick", 10)
        assert [claim.due for claim in claims] == [Every(60.0).latest_by(now)]
        assert claim_tick(entry, claims[0].due) is None
        handle = WeftSubmission.from_tid(claims[0].call_id)
        assert handle.wait(timeout=120) == 5
    finally:
        write_published(PublishedSchedule(started=time.time(), published=time.time()))


def test_a_chain_and_a_chord_run_on_postgresql(postgres: dict[str, str], tmp_path: Path) -> None:
    body_ran = tmp_path / "body"
    flow = chain(canvas_tasks.add.step(1, 1), canvas_tasks.add.step(10)).enqueue()
    assert flow.wait(timeout=120) == 12
    header = [canvas_tasks.add.step(i, 0) for i in range(20)]
    joined = chord(header, canvas_tasks.note_then.step(str(body_ran))).enqueue()
    assert joined.wait(timeout=120) == list(range(20))
    assert body_ran.read_text().splitlines() == [repr(list(range(20)))]
