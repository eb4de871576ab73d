"""The task URLs' views: a call's status as JSON or as a stream of events, and revoke.

`GET <tid>/` answers `WeftSubmission.as_dict()` with AsyncResult's field names
(`state`, `ready`, `successful`, `info`, `retries`, the `date_*` times), plus `result`
or `errors`, and with `RESULT_EXTENDED` the call's `args` and `kwargs`, only when the
policy allows the `"result"` action; `?format=celery-progress` answers
celery-progress's shape instead, so a front-end written for it keeps working.
`GET <tid>/events/` streams the same body as Server-Sent Events until the call is
ready (`events`). `POST <tid>/revoke/` (CSRF-protected) stops the call, `kill=1`
kills it.

Errors carry no detail: a malformed id is 400, a refused request 403 (decided before
the id is looked up, so a refusal says nothing of whether the call exists), an
unknown id 404.
"""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from weft_compat._states import FAILURE, PENDING, READY_STATES, RETRY, REVOKED, SUCCESS
from weft_compat._submission import WeftSubmission
from weft_compat.django.authorization import Action, allows
from weft_compat.django.events import Stream, event_id, status_body
from weft_compat.exceptions import InvalidTaskId

__all__ = ["celery_progress", "events", "revoke", "status"]

_TRUE = frozenset({"1", "true", "yes", "on"})


@require_GET
def status(request: HttpRequest, tid: str) -> JsonResponse:
    """The call's status, as JSON."""
    found = _submission(request, tid, "status")
    if isinstance(found, JsonResponse):
        return found
    body = _shown(request, found)
    if body is None:
        return _error(404, "not found")
    if request.GET.get("format") == "celery-progress":
        return JsonResponse(celery_progress(body))
    return JsonResponse(body)


@require_GET
def events(request: HttpRequest, tid: str) -> HttpResponseBase:
    """The call's status as Server-Sent Events, one per change, until it is ready."""
    found = _submission(request, tid, "status")
    if isinstance(found, JsonResponse):
        return found
    stream = Stream(
        found,
        with_result=allows(request, found, "result"),
        last_id=request.headers.get("Last-Event-ID"),
    )
    body = stream.body()
    if not body["exists"]:
        return _error(404, "not found")
    if body["ready"] and stream.last_id == event_id(body):
        return HttpResponse(status=204)  # The client has the last state: stop reconnecting.
    # Authorization is decided and the stream reads only the broker: hold no database
    # connection while it waits (one inside a transaction, as in a TestCase, stays).
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    content = stream.__aiter__() if isinstance(request, ASGIRequest) else iter(stream)
    response = StreamingHttpResponse(content, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return response


@require_POST
@csrf_protect
def revoke(request: HttpRequest, tid: str) -> JsonResponse:
    """Stop the call (`kill=1`: kill it); answers its status afterwards."""
    found = _submission(request, tid, "revoke")
    if isinstance(found, JsonResponse):
        return found
    if not found.exists():
        return _error(404, "not found")
    if request.POST.get("kill", "").lower() in _TRUE:
        found.kill()
    else:
        found.stop()
    body = _shown(request, found)
    return JsonResponse(body if body is not None else {"tid": found.tid, "state": REVOKED})


def celery_progress(body: dict[str, Any]) -> dict[str, Any]:
    """A status body in celery-progress's response shape (`complete`, `success`,
    `progress` with `current` / `total` / `percent`, and `result` once complete)."""
    state = body["state"]
    shaped: dict[str, Any] = {"state": state, "complete": state in READY_STATES}
    if state in READY_STATES:
        shaped["success"] = state == SUCCESS
        shaped["progress"] = _progress(100, 100, pending=False)
        if state == SUCCESS and "result" in body:
            shaped["result"] = body["result"]
        elif state == FAILURE and body.get("errors"):
            shaped["result"] = body["errors"][-1].get("message")
        elif state == REVOKED:
            shaped["result"] = "Task revoked"
    elif state == RETRY:
        shaped.update(complete=True, success=False, progress=_progress(100, 100, pending=False))
    elif "info" in body and isinstance(body["info"], dict):
        shaped.update(success=None, progress=body["info"])
    else:
        shaped.update(success=None, progress=_progress(0, 100, pending=state == PENDING))
    return shaped


def _progress(current: int, total: int, *, pending: bool) -> dict[str, Any]:
    percent = current * 100 / total if total else 0
    return {"pending": pending, "current": current, "total": total, "percent": percent}


def _submission(request: HttpRequest, tid: str, action: Action) -> WeftSubmission | JsonResponse:
    try:
        submission = WeftSubmission.from_tid(tid)
    except InvalidTaskId:
        return _error(400, "malformed task id")
    if not allows(request, submission, action):
        return _error(403, "forbidden")
    return submission


def _shown(request: HttpRequest, submission: WeftSubmission) -> dict[str, Any] | None:
    """What the request may see of the call; None when no call has its id."""
    body = status_body(submission, with_result=allows(request, submission, "result"))
    return body if body["exists"] else None


def _error(status_code: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status_code)
