"""The operator's pages: recent calls, and one call, what Flower's task list gave.

`calls` lists ended calls newest first (`_recent`: paged through the broker's index of
ended calls, with an `older` cursor), filtered by task, state and queue, under a
summary of what waits, runs and is deferred per queue (`inspect`). `call` shows one
call's `as_dict()`: state, result or traceback, arguments (`RESULT_EXTENDED`), times,
and a revoke button (POST, CSRF-protected) while it is not ready.

Active staff users only, whatever the `AUTHORIZE` policy of the task URLs says: these
pages show every call, so they follow the admin site's rule. Anyone else is refused
403 before an id is looked up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from weft_compat._recent import Cursor, recent_calls
from weft_compat._states import FAILURE, REVOKED, SUCCESS
from weft_compat._submission import WeftSubmission
from weft_compat._timestamps import iso
from weft_compat.django.authorization import is_staff
from weft_compat.exceptions import InvalidCursor, InvalidTaskId
from weft_compat.inspect_command import inspect

__all__ = ["call", "calls", "revoke"]

ENDED_STATES = (SUCCESS, FAILURE, REVOKED)
_FILTERS = ("task", "state", "queue")

View = Callable[..., HttpResponse]


def _staff_only(view: View) -> View:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_staff(request):
            return HttpResponseForbidden("forbidden")
        return view(request, *args, **kwargs)

    return guarded


@require_GET
@_staff_only
def calls(request: HttpRequest) -> HttpResponse:
    """Recent ended calls, newest first, and what waits and runs per queue."""
    filters = {name: request.GET.get(name, "").strip() or None for name in _FILTERS}
    if filters["state"] not in (None, *ENDED_STATES):
        return HttpResponseBadRequest("state must be one of SUCCESS, FAILURE, REVOKED")
    try:
        start = Cursor.parse(request.GET["before"]) if request.GET.get("before") else None
    except InvalidCursor:
        return HttpResponseBadRequest("malformed cursor")
    page = recent_calls(
        start=start, task=filters["task"], state=filters["state"], queue=filters["queue"]
    )
    shown = {name: value for name, value in filters.items() if value}
    older = urlencode({**shown, "before": str(page.older)}) if page.older else None
    context = {
        "rows": [
            {
                "call": row,
                "date_done": iso(row.date_done),
                "duration": f"{row.duration:.3f} s" if row.duration is not None else None,
            }
            for row in page.calls
        ],
        "page": page,
        "filters": filters,
        "states": ENDED_STATES,
        "older": older,
        "newest": urlencode(shown) if start is not None else None,
        "queues": inspect()["queues"],
    }
    return render(request, "weft_compat/operator/calls.html", context)


@require_GET
@_staff_only
def call(request: HttpRequest, tid: str) -> HttpResponse:
    """One call: its state, result or traceback, arguments, times, the user who enqueued
    it and a revoke button."""
    submission = _submission(tid)
    if submission is None:
        return HttpResponseBadRequest("malformed task id")
    body = submission.as_dict()
    if not body["exists"]:
        return HttpResponseNotFound("not found")
    shown = {
        name: json.dumps(body[name], indent=2, sort_keys=True)
        for name in ("result", "args", "kwargs", "info")
        if name in body
    }
    context = {"body": body, "shown": shown, "tid": tid, "owner": submission.owner}
    return render(request, "weft_compat/operator/call.html", context)


@require_POST
@csrf_protect
@_staff_only
def revoke(request: HttpRequest, tid: str) -> HttpResponse:
    """Stop the call (`kill=1`: kill it), then show it again."""
    submission = _submission(tid)
    if submission is None:
        return HttpResponseBadRequest("malformed task id")
    if not submission.exists():
        return HttpResponseNotFound("not found")
    if request.POST.get("kill") == "1":
        submission.kill()
    else:
        submission.stop()
    return HttpResponseRedirect(reverse("weft_compat_operator:call", args=[submission.tid]))


def _submission(tid: str) -> WeftSubmission | None:
    try:
        return WeftSubmission.from_tid(tid)
    except InvalidTaskId:
        return None
