"""Who may read or revoke a call through the task URLs: the `AUTHORIZE` setting.

Deny by default. `WEFT_COMPAT["AUTHORIZE"]` names a callable
`(request, submission, action) -> bool`, where `action` is one of

- `"status"`: the call's state, progress and retries;
- `"result"`: its return value, or its errors and traceback;
- `"revoke"`: stopping it.

With no setting every request is refused, so including the URLs never publishes a
call by accident. Ready policies, named as `"weft_compat.django.authorization.<name>"`:

- `staff_only`: active staff users may do everything, nobody else anything;
- `owner_or_staff`: the user who enqueued a call (its owner, recorded from
  `.using(owner=...)` or by `CurrentUserMiddleware`) may do everything on it, and
  active staff users on every call;
- `owner_only`: the owner alone, staff included only for their own calls.

A call with no recorded owner is nobody's: only staff reach it under `owner_or_staff`.
A policy that raises refuses, and the error is logged, never shown.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache
from typing import Literal

from django.http import HttpRequest

from weft_compat._owner import owner_id
from weft_compat._submission import WeftSubmission
from weft_compat.django.conf import WeftCompatImproperlyConfigured, get_settings

__all__ = [
    "Action",
    "Policy",
    "allows",
    "is_owner",
    "is_staff",
    "owner_only",
    "owner_or_staff",
    "staff_only",
]

Action = Literal["status", "result", "revoke"]
Policy = Callable[[HttpRequest, WeftSubmission, Action], bool]

logger = logging.getLogger(__name__)


def is_staff(request: HttpRequest) -> bool:
    """Whether the request comes from an active staff user (as the admin site asks)."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def staff_only(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    """Allow active staff users every action, and nobody else anything."""
    return is_staff(request)


def is_owner(request: HttpRequest, submission: WeftSubmission) -> bool:
    """Whether the request's active, authenticated user enqueued the call (is its owner)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or user.pk is None:
        return False  # Asked first: an anonymous request costs no broker read.
    return submission.owner == owner_id(user)


def owner_or_staff(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    """Allow the call's owner every action on it, active staff users every action on
    every call, and nobody else anything."""
    return is_staff(request) or is_owner(request, submission)


def owner_only(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    """Allow the call's owner every action on it, and nobody else anything."""
    return is_owner(request, submission)


def allows(request: HttpRequest, submission: WeftSubmission, action: Action) -> bool:
    """Whether the configured policy lets `request` take `action` on `submission`."""
    path = get_settings().AUTHORIZE
    if path is None:
        return False
    policy = _policy(path)
    try:
        return bool(policy(request, submission, action))
    except Exception:
        logger.exception("WEFT_COMPAT['AUTHORIZE'] %r raised; the request is refused", path)
        return False


@cache
def _policy(path: str) -> Policy:
    module_name, _, name = path.rpartition(":") if ":" in path else path.rpartition(".")
    try:
        policy = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise WeftCompatImproperlyConfigured(
            f"WEFT_COMPAT['AUTHORIZE'] = {path!r} cannot be imported ({exc}); name a "
            "callable such as 'weft_compat.django.authorization.staff_only'"
        ) from exc
    if not callable(policy):
        raise WeftCompatImproperlyConfigured(
            f"WEFT_COMPAT['AUTHORIZE'] = {path!r} is not callable; name a function "
            "(request, submission, action) -> bool"
        )
    checked: Policy = policy
    return checked
