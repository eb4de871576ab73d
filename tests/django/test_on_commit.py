"""`enqueue_on_commit` against a real database: submitted at commit, never on rollback."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction

import weft_compat
from tests.conftest import require_service
from tests.django_project.testapp.models import Order
from tests.django_project.testapp.tasks import confirm_order
from weft_compat import WeftDeferredSubmission
from weft_compat._broker import DUE_QUEUE, get_broker
from weft_compat._client import get_client
from weft_compat._envelope import Envelope
from weft_compat.exceptions import HandleNotBound, InvalidCallArguments


def weft_task_count() -> int:
    return len(get_client().tasks.list(include_terminal=True))


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_submits_after_the_commit(weft_context: Path) -> None:
    with transaction.atomic():
        order = Order.objects.create(reference="A-1")
        deferred = confirm_order.enqueue_on_commit(order.pk)
        assert deferred.tid is None
        assert not deferred.submitted
    assert deferred.submitted
    assert deferred.tid is not None
    deferred.result(timeout=90)
    assert deferred.state == "SUCCESS"
    assert deferred.return_value == f"confirmed {order.pk}"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_submits_nothing_on_rollback(weft_context: Path) -> None:
    before = weft_task_count()
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        order = Order.objects.create(reference="A-2")
        deferred = weft_compat.enqueue_on_commit("testapp.confirm_order", order.pk)
        raise RuntimeError("rolled back")
    assert not Order.objects.filter(reference="A-2").exists()
    assert not deferred.submitted
    assert weft_task_count() == before


@pytest.mark.django_db(transaction=True)
def test_a_deferred_handle_read_before_commit_says_why(weft_context: Path) -> None:
    with transaction.atomic():
        deferred = confirm_order.enqueue_on_commit(7)
        for read in (lambda: deferred.state, lambda: deferred.return_value, deferred.ready):
            with pytest.raises(HandleNotBound, match="commits"):
                read()
        assert deferred.as_dict() == {
            "tid": None,
            "name": "testapp.confirm_order",
            "submitted": False,
            "state": None,
        }
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_a_bad_call_fails_before_on_commit_is_registered(weft_context: Path) -> None:
    with transaction.atomic():
        with pytest.raises(InvalidCallArguments):
            confirm_order.enqueue_on_commit(1, 2)
        assert transaction.get_connection().run_on_commit == []


@pytest.mark.django_db(transaction=True)
def test_arguments_are_snapshotted_when_enqueue_on_commit_is_called(weft_context: Path) -> None:
    from weft_compat.testing import recording

    items = ["a"]
    with recording() as recorder:
        with transaction.atomic():
            weft_compat.get_task("tests.broker_tasks.echo").enqueue_on_commit(items)
            items.append("b")
        assert recorder.submissions[0].args == (["a"],)


@pytest.mark.broker
@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_enqueue_on_commit_follows_the_named_database(weft_context: Path) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    from django.conf import settings

    assert "other" in settings.DATABASES
    with transaction.atomic(using="other"):
        deferred: WeftDeferredSubmission = confirm_order.using(database="other").enqueue_on_commit(
            9
        )
        # A commit on the default database must not release a call bound to "other".
        with transaction.atomic():
            Order.objects.create(reference="A-3")
        assert not deferred.submitted
    assert deferred.submitted
    deferred.result(timeout=90)
    assert deferred.return_value == "confirmed 9"

    with pytest.raises(RuntimeError), transaction.atomic(using="other"):
        rolled_back = confirm_order.using(database="other").enqueue_on_commit(10)
        raise RuntimeError("rolled back")
    assert not rolled_back.submitted


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_countdown_and_expires_count_from_the_commit(weft_context: Path) -> None:
    with transaction.atomic():
        order = Order.objects.create(reference="A-timed")
        deferred = confirm_order.using(countdown=600, expires=900).enqueue_on_commit(order.pk)
        time.sleep(1.5)  # The transaction stays open a while after the call is made.
        committed_at = time.time()
    assert deferred.tid is not None
    body = get_broker().peek_one(
        DUE_QUEUE, exact_timestamp=int(deferred.tid), with_timestamps=False
    )
    assert body is not None
    envelope = Envelope.from_json(body)
    assert envelope.eta is not None and envelope.expires is not None
    assert envelope.eta >= committed_at + 600 - 0.01
    assert envelope.expires >= committed_at + 900 - 0.01
    deferred.stop()
    assert deferred.state == "REVOKED"


@pytest.mark.django_db(transaction=True)
def test_a_patched_enqueue_sees_the_call_at_commit_as_a_patched_delay_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Celery's delay_on_commit calls delay at commit, so tests patch delay; the codemod
    # turns that patch into one of enqueue, which must then see enqueue_on_commit's call.
    monkeypatch.setenv("WEFT_COMPAT_CONTEXT", str(tmp_path / "never-used"))
    with mock.patch.object(confirm_order, "enqueue") as enqueue:
        with transaction.atomic():
            order = Order.objects.create(reference="A-9")
            deferred = confirm_order.enqueue_on_commit(order.pk)
            enqueue.assert_not_called()
        enqueue.assert_called_once_with(order.pk)
    assert deferred.submission is enqueue.return_value
    assert not (tmp_path / "never-used").exists()
