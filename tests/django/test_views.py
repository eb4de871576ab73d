"""The task URLs through Django's test client: status JSON, revoke, authorization."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections
from django.http import HttpRequest
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import reverse

from tests import broker_tasks
from tests.conftest import require_service, wait_for_state
from weft_compat import WeftSubmission
from weft_compat.django import events
from weft_compat.django.authorization import Action, allows, staff_only
from weft_compat.django.conf import WeftCompatImproperlyConfigured
from weft_compat.django.views import celery_progress

UNKNOWN_TID = "1700000000000000001"
CELERY_ID = "d9b1d7db-3b5c-4b9e-8f5e-2a4f3b6c7d8e"


def allow_all(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    return True


def status_only(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    return action == "status"


def header_says(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    return request.headers.get("X-Allow") == action


def raises(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    raise RuntimeError("policy bug")


def policy(name: str) -> Any:
    return override_settings(WEFT_COMPAT={"AUTHORIZE": f"tests.django.test_views.{name}"})


def wait_ready(handle: WeftSubmission) -> None:
    handle.result(timeout=90)


# -- refusals, before the broker is read ------------------------------------------------


def test_with_no_policy_every_request_is_refused_with_no_detail(client: Client) -> None:
    for url in (f"/tasks/{UNKNOWN_TID}/", f"/tasks/{CELERY_ID}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json() == {"error": "forbidden"}
    assert client.post(f"/tasks/{UNKNOWN_TID}/revoke/").status_code == 403


def test_a_malformed_id_is_400(client: Client) -> None:
    with policy("allow_all"):
        response = client.get("/tasks/not-an-id/")
    assert response.status_code == 400
    assert response.json() == {"error": "malformed task id"}


def test_a_refusal_comes_before_the_lookup_so_it_says_nothing_of_existence(
    client: Client, weft_context: Path
) -> None:
    with policy("header_says"):
        assert client.get(f"/tasks/{UNKNOWN_TID}/").status_code == 403
        assert client.get(f"/tasks/{UNKNOWN_TID}/", headers={"X-Allow": "status"}).status_code == (
            404
        )


def test_unknown_ids_weft_and_celery_forms_are_404(client: Client, weft_context: Path) -> None:
    with policy("allow_all"):
        for tid in (UNKNOWN_TID, CELERY_ID):
            response = client.get(f"/tasks/{tid}/")
            assert response.status_code == 404
            assert response.json() == {"error": "not found"}
        assert client.post(f"/tasks/{UNKNOWN_TID}/revoke/").status_code == 404


def test_a_policy_that_raises_refuses_and_is_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with policy("raises"):
        assert client.get(f"/tasks/{UNKNOWN_TID}/").status_code == 403
    assert "policy bug" in caplog.text


def test_a_policy_that_cannot_be_imported_names_the_setting() -> None:
    request = RequestFactory().get("/")
    missing = "tests.django.test_views.no_such"
    with (
        override_settings(WEFT_COMPAT={"AUTHORIZE": missing}),
        pytest.raises(WeftCompatImproperlyConfigured, match=re.escape(repr(missing))),
    ):
        allows(request, WeftSubmission(UNKNOWN_TID), "status")


def test_revoke_is_post_only_and_csrf_protected(weft_context: Path) -> None:
    strict = Client(enforce_csrf_checks=True)
    with policy("allow_all"):
        assert strict.get(f"/tasks/{UNKNOWN_TID}/revoke/").status_code == 405
        assert strict.post(f"/tasks/{UNKNOWN_TID}/revoke/").status_code == 403
        assert Client().post(f"/tasks/{UNKNOWN_TID}/").status_code == 405


def test_staff_only_allows_active_staff_and_nobody_else() -> None:
    submission = WeftSubmission(UNKNOWN_TID)
    request = RequestFactory().get("/")
    verdicts = []
    for user in (
        User(username="s", is_staff=True),
        User(username="i", is_staff=True, is_active=False),
        User(username="u"),
        AnonymousUser(),
        None,
    ):
        if user is not None:
            request.user = user
        verdicts.append(staff_only(request, submission, "result"))
    assert verdicts == [True, False, False, False, False]


# -- the response shapes ----------------------------------------------------------------


def test_celery_progress_shape_of_each_state() -> None:
    assert celery_progress({"state": "PENDING"}) == {
        "state": "PENDING",
        "complete": False,
        "success": None,
        "progress": {"pending": True, "current": 0, "total": 100, "percent": 0},
    }
    meta = {"pending": False, "current": 3, "total": 4, "percent": 75.0}
    assert celery_progress({"state": "PROGRESS", "info": meta})["progress"] == meta
    done = celery_progress({"state": "SUCCESS", "result": 5})
    assert (done["complete"], done["success"], done["result"]) == (True, True, 5)
    assert done["progress"]["percent"] == 100
    failed = celery_progress({"state": "FAILURE", "errors": [{"message": "boom"}]})
    assert (failed["complete"], failed["success"], failed["result"]) == (True, False, "boom")
    assert celery_progress({"state": "REVOKED"})["success"] is False
    hidden = celery_progress({"state": "SUCCESS"})
    assert "result" not in hidden


# -- real calls -------------------------------------------------------------------------


@pytest.mark.broker
def test_status_of_a_finished_call_shows_the_result_only_where_allowed(
    client: Client, weft_context: Path
) -> None:
    handle = broker_tasks.add.enqueue(2, 3)
    wait_ready(handle)
    with policy("allow_all"):
        body = client.get(f"/tasks/{handle.tid}/").json()
        shaped = client.get(f"/tasks/{handle.tid}/?format=celery-progress").json()
    assert body["state"] == "SUCCESS" and body["ready"] and body["successful"]
    assert body["result"] == 5 and body["retries"] == 0
    assert body["name"] == "tests.broker_tasks.add"
    assert shaped == {
        "state": "SUCCESS",
        "complete": True,
        "success": True,
        "progress": {"pending": False, "current": 100, "total": 100, "percent": 100.0},
        "result": 5,
    }
    with policy("status_only"):
        limited = client.get(f"/tasks/{handle.tid}/").json()
    assert limited["state"] == "SUCCESS" and "result" not in limited


@pytest.mark.broker
def test_a_failed_call_shows_its_errors_only_where_allowed(
    client: Client, weft_context: Path
) -> None:
    handle = broker_tasks.explode.enqueue("kaboom")
    with pytest.raises(Exception, match="kaboom"):
        handle.wait(timeout=90)
    with policy("allow_all"):
        body = client.get(f"/tasks/{handle.tid}/").json()
    assert body["state"] == "FAILURE" and body["ready"] and not body["successful"]
    assert "kaboom" in body["errors"][-1]["message"]
    with policy("status_only"):
        assert "errors" not in client.get(f"/tasks/{handle.tid}/").json()


@pytest.mark.broker
def test_progress_is_served_while_the_call_runs(
    client: Client, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "go-on"
    handle = broker_tasks.reports_progress.enqueue(str(marker))
    deadline = time.monotonic() + 90
    with policy("allow_all"):
        while (body := client.get(f"/tasks/{handle.tid}/").json()).get("state") != "PROGRESS":
            assert time.monotonic() < deadline, f"never saw PROGRESS: {body}"
            time.sleep(0.05)
        shaped = client.get(f"/tasks/{handle.tid}/?format=celery-progress").json()
        assert body["info"] == {"done": 1, "total": 2} and not body["ready"]
        assert shaped["complete"] is False and shaped["progress"] == {"done": 1, "total": 2}
        marker.touch()
        wait_ready(handle)
        assert client.get(f"/tasks/{handle.tid}/").json()["result"] == "finished"


@pytest.mark.broker
@pytest.mark.parametrize("kill", [False, True])
def test_revoke_stops_a_running_call(kill: bool, client: Client, weft_context: Path) -> None:
    handle = broker_tasks.sleeps.enqueue(60)
    wait_for_state(handle, "STARTED")
    with policy("header_says"):
        refused = client.post(f"/tasks/{handle.tid}/revoke/", headers={"X-Allow": "status"})
        assert refused.status_code == 403
        assert handle.state == "STARTED"
        response = client.post(
            f"/tasks/{handle.tid}/revoke/",
            {"kill": "1"} if kill else {},
            headers={"X-Allow": "revoke"},
        )
    assert response.status_code == 200
    wait_for_state(handle, "REVOKED")


# -- Server-Sent Events -----------------------------------------------------------------


def sse_events(text: str) -> list[dict[str, Any]]:
    """The `status` events of an SSE text: each one's id and decoded data."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields.get("event") == "status":
            found.append({"id": fields["id"], **json.loads(fields["data"])})
    return found


@pytest.mark.broker
def test_events_stream_progress_then_the_result_through_a_real_server(
    live_server: Any, weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "go-on"
    handle = broker_tasks.reports_progress.enqueue(str(marker))
    url = urllib.parse.urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=90)
    with policy("allow_all"):
        connection.request("GET", f"/tasks/{handle.tid}/events/")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        received = ""
        while "PROGRESS" not in received:
            line = response.readline().decode()
            assert line, f"the stream ended before PROGRESS: {received!r}"
            received += line
        marker.touch()  # The task finishes only after the stream has shown its progress.
        received += response.read().decode()  # The stream ends once the call is ready.
    connection.close()
    states = [event["state"] for event in sse_events(received)]
    assert states[-1] == "SUCCESS" and "PROGRESS" in states
    assert states.index("PROGRESS") < states.index("SUCCESS")
    last = sse_events(received)[-1]
    assert last["result"] == "finished" and last["ready"]
    with policy("allow_all"):
        again = Client().get(f"/tasks/{handle.tid}/events/", headers={"Last-Event-ID": last["id"]})
    assert again.status_code == 204  # Told to stop reconnecting.


@pytest.mark.broker
def test_events_under_asgi_are_sent_as_they_come(weft_context: Path) -> None:
    handle = broker_tasks.add.enqueue(20, 22)
    wait_ready(handle)

    async def read() -> tuple[int, str]:
        response = await AsyncClient().get(f"/tasks/{handle.tid}/events/")
        assert response.streaming
        chunks = [chunk async for chunk in response.streaming_content]
        return response.status_code, b"".join(chunks).decode()

    with policy("status_only"), warnings.catch_warnings():
        warnings.simplefilter("error")  # No "must consume synchronous iterators".
        status_code, text = async_to_sync(read)()
    assert status_code == 200
    (only,) = sse_events(text)
    assert only["state"] == "SUCCESS" and "result" not in only


def test_a_quiet_stream_sends_heartbeats(
    monkeypatch: pytest.MonkeyPatch, weft_context: Path
) -> None:
    monkeypatch.setattr(events, "HEARTBEAT_SECONDS", 0.0)
    stream = events.Stream(WeftSubmission(UNKNOWN_TID), with_result=False, last_id=None)
    first, _ = stream.step()
    again, _ = stream.step()
    assert first[0].startswith("id: ") and "event: status" in first[0]
    assert again == [": keep-alive\n\n"]


def reads_the_database(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    return not User.objects.using("other").filter(username="nobody").exists()


@pytest.mark.broker
@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_a_stream_holds_no_database_connection_while_it_waits(
    client: Client, weft_context: Path, tmp_path: Path
) -> None:
    # On PostgreSQL: Django never closes an in-memory SQLite database's connection.
    require_service("PostgreSQL", "127.0.0.1", 5432)
    marker = tmp_path / "go-on"
    handle = broker_tasks.reports_progress.enqueue(str(marker))
    with policy("reads_the_database"):
        response = client.get(f"/tasks/{handle.tid}/events/")
        assert response.status_code == 200
        # The policy queried the database; the view has returned, the stream not begun.
        assert connections["other"].connection is None
        stream = iter(response.streaming_content)
        first = b""
        while b"event: status" not in first:
            first += next(stream)
        assert connections["other"].connection is None
        marker.touch()
        rest = b"".join(stream).decode()
    assert sse_events(rest)[-1]["state"] == "SUCCESS"


def test_the_urls_are_named_in_the_weft_compat_namespace() -> None:
    assert reverse("weft_compat:status", args=[UNKNOWN_TID]) == f"/tasks/{UNKNOWN_TID}/"
    assert reverse("weft_compat:events", args=[UNKNOWN_TID]) == f"/tasks/{UNKNOWN_TID}/events/"
    assert reverse("weft_compat:revoke", args=[UNKNOWN_TID]) == f"/tasks/{UNKNOWN_TID}/revoke/"
