"""`CurrentUserMiddleware`: calls enqueued while a request is served record its user.

Add it after Django's `AuthenticationMiddleware`:

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "weft_compat.django.middleware.CurrentUserMiddleware",
        ...,
    ]

Each call the request enqueues (`enqueue`, `enqueue_on_commit`, a workflow's steps)
then records the request's authenticated user as its owner, unless it passes
`.using(owner=...)` itself, so the `owner_or_staff` policy can let that user follow it.
The user is named through a context variable (`weft_compat._owner`), so it holds for
the request's own thread or asyncio task under WSGI and ASGI alike, and it is loaded
only if the request enqueues something. In an async view, `await request.auser()`
before enqueueing (Django loads the user lazily, and a lazy load from async code is not
allowed), or enqueue through `sync_to_async`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction, markcoroutinefunction
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpRequest, HttpResponseBase

from weft_compat._owner import acting_for
from weft_compat.exceptions import WeftCompatError

__all__ = ["CurrentUserMiddleware", "request_user"]

GetResponse = Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]


def request_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The request's authenticated user, or None (anonymous, or no authentication)."""
    # A user `auser()` has loaded needs no query, and no sync code to read.
    user: Any = getattr(request, "_acached_user", None) or getattr(request, "user", None)
    try:
        authenticated = bool(user is not None and user.is_authenticated)
    except SynchronousOnlyOperation as exc:
        raise WeftCompatError(
            f"the user of the request {request.path!r} is not loaded yet, and an async "
            "view cannot load it while it enqueues; `await request.auser()` first, "
            "enqueue through sync_to_async, or pass .using(owner=...)"
        ) from exc
    return user if authenticated else None


class CurrentUserMiddleware:
    """Names the request's user as the owner of the calls it enqueues (sync and async)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        """Serve `request` with its user as the owner of what it enqueues."""
        if self.is_async:
            return self.__acall__(request)
        with acting_for(lambda: request_user(request)):
            return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """The same, under ASGI."""
        with acting_for(lambda: request_user(request)):
            response = self.get_response(request)
            if isinstance(response, HttpResponseBase):  # not in an async chain
                return response
            return await response
