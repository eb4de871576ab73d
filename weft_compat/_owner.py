"""Who enqueued a call: its owner's id, from the `owner` option or the current user.

A call records the user who enqueued it, so that a view can let that user (and staff)
follow it and nobody else (`weft_compat.django.authorization.owner_or_staff`). The
core knows no user model: an owner is an id as text, read from a user object's `pk`
(a Django user, or any object with one) or given as a str, int or UUID.

Where a web framework knows the request's user, its edge names it for the request with
`acting_for` (Django: `weft_compat.django.middleware.CurrentUserMiddleware`). That is a
context variable, so it holds per thread and per asyncio task, under WSGI and ASGI
alike, and it holds a function rather than the user: a request that enqueues nothing
never loads its user.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from weft_compat.exceptions import InvalidOptionValue

__all__ = ["MAX_OWNER_LENGTH", "acting_for", "current_owner", "owner_id"]

MAX_OWNER_LENGTH: Final = 255

# The current request's user, as a function that loads it (None: no user, or anonymous).
_current_user: ContextVar[Callable[[], object] | None] = ContextVar(
    "weft_compat_current_user", default=None
)


def owner_id(value: object) -> str:
    """The owner id of `value`, a user object (its `pk`) or a str, int or UUID id, as text.

    Raises `ValueError` with the part of a sentence that says what to pass instead.
    """
    if isinstance(value, bool):
        raise ValueError("must be a user or a user's id (a str, int or UUID), not a bool")
    key = value
    if not isinstance(value, str | int | uuid.UUID):
        if not hasattr(value, "pk"):
            raise ValueError(
                "must be a user (an object with a primary key, `pk`) or a user's id (a str, "
                "int or UUID)"
            )
        key = value.pk
        if key is None:
            raise ValueError(
                "has no primary key (an anonymous or unsaved user); pass a saved user or "
                "its id, or leave owner out"
            )
    if isinstance(key, bool) or not isinstance(key, str | int | uuid.UUID):
        raise ValueError(
            f"has the primary key {key!r}, which is not a str, int or UUID; pass the id "
            "as text instead"
        )
    text = str(key)
    if not text.strip() or len(text) > MAX_OWNER_LENGTH:
        raise ValueError(
            f"must be a non-blank id of at most {MAX_OWNER_LENGTH} characters; pass the "
            "user or its primary key"
        )
    return text


@contextmanager
def acting_for(user: Callable[[], object] | None) -> Iterator[None]:
    """Calls enqueued inside this block record the user `user()` returns as their owner
    (None: no owner), unless they pass `owner` themselves."""
    token = _current_user.set(user)
    try:
        yield
    finally:
        _current_user.reset(token)


def current_owner() -> str | None:
    """The owner id of the user the current block acts for (`acting_for`), or None."""
    load = _current_user.get()
    user = load() if load is not None else None
    if user is None:
        return None
    try:
        return owner_id(user)
    except ValueError as exc:
        raise InvalidOptionValue(
            f"the current user {user!r} cannot own a call: it {exc}; pass "
            "owner=... explicitly with .using(owner=...)"
        ) from exc
