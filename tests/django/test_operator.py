"""The operator's pages through Django's test client: staff only, filters, cursor, revoke."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.conftest import pointed_at
from weft_compat import WeftSubmission
from weft_compat._broker import get_broker, pending_queue
from weft_compat._envelope import Envelope
from weft_compat._outcome import Outcome, TaskError, write_outcome
from weft_compat._states import FAILURE, SUCCESS
from weft_compat._timestamps import iso

pytestmark = [pytest.mark.broker, pytest.mark.django_db]

LIST = "/ops/calls/"
UNKNOWN_TID = "1700000000000000001"
# Sessions and users for the test client; the mini project itself needs neither.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


@pytest.fixture(autouse=True)
def own_context(tmp_path: Path) -> Iterator[Path]:
    """A context of its own, written through the broker only; sessions in cookies."""
    with (
        pointed_at(tmp_path, stop=True),
        override_settings(
            MIDDLEWARE=MIDDLEWARE,
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        ),
    ):
        yield tmp_path


def login(**flags: bool) -> Client:
    client = Client(enforce_csrf_checks=True)
    user = User.objects.create(username=f"u{User.objects.count()}", **flags)
    client.force_login(user)
    return client


@pytest.fixture
def staff() -> Client:
    return login(is_staff=True)


def ended(task: str = "shop.tasks.send", state: str = SUCCESS, **fields: object) -> str:
    call_id = str(get_broker().generate_timestamp())
    write_outcome(call_id, Outcome(state, value="1", task=task, **fields), expires=60)  # type: ignore[arg-type]
    return call_id


def listed(html: str) -> list[str]:
    return re.findall(r'href="/ops/calls/(\d{19})/"', html)


def older_link(html: str) -> str | None:
    found = re.search(r'href="\?([^"]*)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


# -- who may look -------------------------------------------------------------------------


def test_anonymous_non_staff_and_inactive_staff_are_refused_before_any_lookup() -> None:
    call_id = ended()
    clients = [Client(), login(), login(is_staff=True, is_active=False)]
    for client in clients:
        for url in (LIST, f"{LIST}{call_id}/", f"{LIST}not-an-id/"):
            assert client.get(url).status_code == 403, url
        assert client.post(f"{LIST}{call_id}/revoke/").status_code == 403


def test_the_task_urls_policy_does_not_open_the_operator_pages() -> None:
    with override_settings(
        WEFT_COMPAT={"AUTHORIZE": "tests.django.test_views.allow_all"},
        MIDDLEWARE=MIDDLEWARE,
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    ):
        assert Client().get(LIST).status_code == 403


def test_unknown_ids_are_404_and_malformed_ones_400(staff: Client) -> None:
    assert staff.get(f"{LIST}{UNKNOWN_TID}/").status_code == 404
    assert staff.get(f"{LIST}not-an-id/").status_code == 400
    assert staff.get(f"{LIST}?before=nonsense").status_code == 400
    assert staff.get(f"{LIST}?state=PENDING").status_code == 400


# -- the list -----------------------------------------------------------------------------


def test_staff_see_ended_calls_newest_first_with_their_columns(staff: Client) -> None:
    first = ended()
    second = ended(task="shop.tasks.bill", state=FAILURE, queue="billing", date_started=1.0)
    response = staff.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert listed(html) == [second, first]
    assert "shop.tasks.bill" in html and "billing" in html and "FAILURE" in html
    assert "No queue has calls or pools." in html


def test_filters_by_task_state_and_queue(staff: Client) -> None:
    sent = ended()
    failed = ended(task="shop.tasks.bill", state=FAILURE, queue="billing")
    assert listed(staff.get(LIST, {"task": "shop.tasks.send"}).content.decode()) == [sent]
    assert listed(staff.get(LIST, {"state": "FAILURE"}).content.decode()) == [failed]
    assert listed(staff.get(LIST, {"queue": "billing"}).content.decode()) == [failed]
    assert listed(staff.get(LIST, {"task": "nothing"}).content.decode()) == []


def test_the_older_link_pages_by_cursor_and_keeps_the_filter(staff: Client) -> None:
    ids = [ended() for _ in range(55)]
    ended(task="other")
    first = staff.get(LIST, {"task": "shop.tasks.send"}).content.decode()
    assert listed(first) == ids[::-1][:50]
    link = older_link(first)
    assert link is not None and "task=shop.tasks.send" in link
    second = staff.get(f"{LIST}?{link}").content.decode()
    assert listed(second) == ids[::-1][50:]
    assert older_link(second) is None
    assert 'href="?task=shop.tasks.send">newest' in second


def test_the_summary_shows_what_waits_per_queue(staff: Client) -> None:
    envelope = Envelope(task="shop.tasks.send", call="{}", queue="mail", lane="pooled")
    get_broker().write(pending_queue("mail"), envelope.to_json())
    html = staff.get(LIST).content.decode()
    assert re.search(r"<td>mail</td>\s*<td class=\"number\">1</td>", html)


# -- one call -----------------------------------------------------------------------------


def test_the_detail_page_shows_result_times_and_extended_arguments(staff: Client) -> None:
    call = json.dumps({"args": [7], "kwargs": {"to": "ops@example.com"}})
    call_id = ended(date_started=1.5, call=call, queue="mail", worker="web-1", owner="4711")
    html = staff.get(f"{LIST}{call_id}/").content.decode()
    assert "shop.tasks.send" in html and "SUCCESS" in html and "mail" in html
    assert "ops@example.com" in html and "web-1" in html
    assert "<th>owner</th><td>4711</td>" in html
    assert iso(1.5) in html
    assert str(WeftSubmission.from_tid(call_id).as_dict()["date_created"]) in html
    assert "Revoke" not in html  # ready: nothing to revoke


def test_the_detail_page_shows_a_failure_traceback(staff: Client) -> None:
    error = TaskError("builtins.LookupError", "no such order", "Traceback: ...line 3")
    call_id = ended(state=FAILURE, error=error)
    html = staff.get(f"{LIST}{call_id}/").content.decode()
    assert "builtins.LookupError" in html and "no such order" in html and "line 3" in html


def test_the_revoke_button_posts_with_csrf_and_revokes_a_waiting_call(staff: Client) -> None:
    envelope = Envelope(task="shop.tasks.send", call="{}", queue="mail", lane="pooled")
    call_id = str(get_broker().write(pending_queue("mail"), envelope.to_json()))
    page = staff.get(f"{LIST}{call_id}/")
    html = page.content.decode()
    form = re.search(r'<form method="post" action="([^"]+)">.*?</form>', html, re.S)
    assert form is not None and form.group(1) == f"{LIST}{call_id}/revoke/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0))
    assert token is not None
    assert staff.post(form.group(1)).status_code == 403  # no token: refused
    assert staff.get(form.group(1)).status_code == 405
    response = staff.post(form.group(1), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302 and response["Location"] == f"{LIST}{call_id}/"
    assert WeftSubmission.from_tid(call_id).state == "REVOKED"
    assert (
        staff.post(
            f"{LIST}{UNKNOWN_TID}/revoke/", {"csrfmiddlewaretoken": token.group(1)}
        ).status_code
        == 404
    )
