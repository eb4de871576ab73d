"""Owners: the user who enqueued a call, from `.using(owner=...)` or the request's user
(`CurrentUserMiddleware`), readable from any handle in both lanes and while deferred, and
the `owner_or_staff` / `owner_only` policies over the task URLs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpRequest
from django.test import AsyncClient, Client, RequestFactory, override_settings

from tests import broker_tasks
from tests.conftest import wait_for_state
from weft_compat import WeftSubmission, weft_task
from weft_compat._owner import acting_for
from weft_compat._submission import local_owners
from weft_compat.django.authorization import Action, owner_only, owner_or_staff, staff_only
from weft_compat.django.middleware import CurrentUserMiddleware
from weft_compat.exceptions import InvalidOptionValue, WeftCompatError
from weft_compat.testing import recording

ACTIONS: tuple[Action, ...] = ("status", "result", "revoke")
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "weft_compat.django.middleware.CurrentUserMiddleware",
]


@pytest.fixture
def with_users() -> Iterator[None]:
    """Sessions (in cookies), users, and the current-user middleware, for the client."""
    with override_settings(
        MIDDLEWARE=MIDDLEWARE,
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        WEFT_COMPAT={"AUTHORIZE": "weft_compat.django.authorization.owner_or_staff"},
    ):
        yield


def user(name: str, **flags: bool) -> User:
    return User.objects.create(username=name, **flags)


def logged_in(account: User | None) -> Client:
    client = Client()
    if account is not None:
        client.force_login(account)
    return client


def request_by(account: Any) -> HttpRequest:
    request = RequestFactory().get("/")
    if account is not None:
        request.user = account
    return request


# -- the option -------------------------------------------------------------------------


def test_the_owner_option_takes_a_user_or_an_id_as_text() -> None:
    add = broker_tasks.add
    some_id = uuid.uuid4()
    with recording() as recorder:
        handles = [
            add.using(owner=owner).enqueue(1, 2)
            for owner in (User(pk=7, username="a"), 8, "nine", some_id)
        ]
    assert [handle.owner for handle in handles] == ["7", "8", "nine", str(some_id)]
    assert recorder.submissions[0].options["owner"] == "7"


@pytest.mark.parametrize(
    ("owner", "says"),
    [
        (AnonymousUser(), "has no primary key"),
        (User(username="unsaved"), "has no primary key"),
        (True, "not a bool"),
        ("", "non-blank"),
        (1.5, "must be a user"),
    ],
)
def test_an_owner_that_is_no_user_is_refused_before_anything_is_enqueued(
    owner: object, says: str
) -> None:
    with recording() as recorder, pytest.raises(InvalidOptionValue, match=says) as raised:
        broker_tasks.add.using(owner=owner).enqueue(1, 2)
    assert str(raised.value).startswith("owner=")
    assert recorder.submissions == []


def test_owner_is_a_call_option_not_a_task_option() -> None:
    with pytest.raises(ValueError, match=r"'owner' is chosen per call.*task\.using\(owner="):
        weft_task(owner=1)


def test_an_explicit_owner_wins_over_the_current_user_and_without_either_there_is_none() -> None:
    with recording(), acting_for(lambda: User(pk=5, username="current")):
        current = broker_tasks.add.enqueue(1, 2)
        explicit = broker_tasks.add.using(owner="6").enqueue(1, 2)
    with recording():
        nobody = broker_tasks.add.enqueue(1, 2)
    assert (current.owner, explicit.owner, nobody.owner) == ("5", "6", None)
    assert nobody.tid not in local_owners


# -- the middleware ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_middleware_records_the_requests_user_through_the_test_client(
    with_users: None,
) -> None:
    alice = user("alice")
    with recording():
        as_alice = logged_in(alice).get("/enqueue/").json()["tid"]
        anonymous = logged_in(None).get("/enqueue/").json()["tid"]
    assert WeftSubmission(as_alice).owner == str(alice.pk)
    assert WeftSubmission(anonymous).owner is None


@pytest.mark.django_db(transaction=True)
def test_the_middleware_records_the_user_of_an_async_view_under_asgi(with_users: None) -> None:
    alice = user("alice")

    async def get(path: str) -> Any:
        client = AsyncClient()
        await client.aforce_login(alice)
        return await client.get(path)

    with recording() as recorder:
        response = async_to_sync(get)("/enqueue-async/")
        # A user Django has not loaded cannot be loaded from async code: said, not guessed.
        with pytest.raises(WeftCompatError, match=r"auser\(\)"):
            async_to_sync(get)("/enqueue-async/?load=0")
    assert WeftSubmission(response.json()["tid"]).owner == str(alice.pk)
    assert len(recorder.submissions) == 1


def test_an_unloaded_user_in_async_code_is_reported_with_the_fix() -> None:
    request = RequestFactory().get("/orders/")
    request.user = _RaisesInAsyncCode()  # type: ignore[assignment]
    middleware = CurrentUserMiddleware(lambda request: broker_tasks.add.enqueue(1, 2))  # type: ignore[arg-type, return-value]
    with recording(), pytest.raises(WeftCompatError, match=r"'/orders/'.*auser\(\)"):
        middleware(request)


class _RaisesInAsyncCode:
    @property
    def is_authenticated(self) -> bool:
        raise SynchronousOnlyOperation("You cannot call this from an async context")


def test_the_middleware_is_sync_and_async_capable() -> None:
    async def view(request: HttpRequest) -> Any:
        return None

    assert CurrentUserMiddleware.sync_capable and CurrentUserMiddleware.async_capable
    assert CurrentUserMiddleware(view).is_async  # type: ignore[arg-type]
    assert not CurrentUserMiddleware(lambda request: None).is_async  # type: ignore[arg-type, return-value]


# -- the policies -----------------------------------------------------------------------


def test_owner_or_staff_and_owner_only_allow_the_owner_and_staff_as_they_say() -> None:
    alice = User(pk=1, username="alice")
    bob = User(pk=2, username="bob")
    staff = User(pk=3, username="staff", is_staff=True)
    inactive = User(pk=1, username="alice", is_active=False)
    with recording():
        call = broker_tasks.add.using(owner=alice).enqueue(1, 2)
        nobodys = broker_tasks.add.enqueue(1, 2)
    for action in ACTIONS:
        verdicts = {
            name: (
                owner_or_staff(request_by(who), call, action),
                owner_only(request_by(who), call, action),
            )
            for name, who in (
                ("alice", alice),
                ("bob", bob),
                ("staff", staff),
                ("inactive", inactive),
                ("anonymous", AnonymousUser()),
                ("no user", None),
            )
        }
        assert verdicts == {
            "alice": (True, True),
            "bob": (False, False),
            "staff": (True, False),
            "inactive": (False, False),
            "anonymous": (False, False),
            "no user": (False, False),
        }
        assert not owner_or_staff(request_by(alice), nobodys, action)
        assert owner_or_staff(request_by(staff), nobodys, action)
        assert staff_only(request_by(staff), call, action)


# -- real calls, both lanes -------------------------------------------------------------


@pytest.mark.broker
@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_a_handle_reads_the_owner_while_the_call_waits_runs_and_after_it_ended(
    lane: str, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "go-on"
    handle = broker_tasks.reports_progress.using(lane=lane, owner="41").enqueue(str(marker))
    assert WeftSubmission(handle.tid).owner == "41"  # at once: queued, or already started
    wait_for_state(handle, "PROGRESS")
    assert WeftSubmission(handle.tid).owner == "41"
    marker.touch()
    handle.result(timeout=90)
    assert WeftSubmission(handle.tid).owner == "41"

    deferred = broker_tasks.add.using(lane=lane, owner="42", countdown=60).enqueue(1, 2)
    assert deferred.status() == "scheduled"
    assert WeftSubmission(deferred.tid).owner == "42"
    deferred.stop()
    wait_for_state(deferred, "REVOKED")
    assert WeftSubmission(deferred.tid).owner == "42"

    running = broker_tasks.sleeps.using(lane=lane, owner="43").enqueue(60)
    wait_for_state(running, "STARTED")
    running.kill()
    wait_for_state(running, "REVOKED")
    assert WeftSubmission(running.tid).owner == "43"


@pytest.mark.broker
@pytest.mark.django_db
@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_the_task_urls_serve_a_call_to_its_owner_and_staff_only(
    lane: str, with_users: None, weft_context: Path
) -> None:
    alice, bob = user("alice"), user("bob")
    staff = user("staff", is_staff=True)
    clients = {
        "alice": logged_in(alice),
        "bob": logged_in(bob),
        "staff": logged_in(staff),
        "anonymous": logged_in(None),
    }
    tid = clients["alice"].get(f"/enqueue/?lane={lane}").json()["tid"]
    handle = WeftSubmission(tid)
    handle.result(timeout=90)
    assert handle.owner == str(alice.pk)
    answers = {name: client.get(f"/tasks/{tid}/") for name, client in clients.items()}
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "alice": 200,
        "bob": 403,
        "staff": 200,
        "anonymous": 403,
    }
    assert answers["alice"].json()["result"] == 5
    assert answers["bob"].json() == {"error": "forbidden"}

    deferred = clients["alice"].get(f"/enqueue/?lane={lane}&countdown=60").json()["tid"]
    assert clients["bob"].post(f"/tasks/{deferred}/revoke/").status_code == 403
    assert clients["alice"].get(f"/tasks/{deferred}/").json()["state"] == "PENDING"
    revoked = clients["alice"].post(f"/tasks/{deferred}/revoke/")
    assert revoked.status_code == 200
    assert json.loads(revoked.content)["state"] == "REVOKED"
    assert clients["staff"].get(f"/tasks/{deferred}/").json()["state"] == "REVOKED"
