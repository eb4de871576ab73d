"""The operator's pages: `path("ops/calls/", include("weft_compat.django.operator_urls"))`.

Separate from the task URLs (`weft_compat.django.urls`), which answer whoever the
`AUTHORIZE` policy lets in (often a call's own user): these list every call, so they are
for active staff only and mounted where the project keeps such pages.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from weft_compat.django import operator_views

__all__ = ["app_name", "urlpatterns"]

app_name = "weft_compat_operator"

urlpatterns: list[URLPattern] = [
    path("", operator_views.calls, name="calls"),
    path("<str:tid>/", operator_views.call, name="call"),
    path("<str:tid>/revoke/", operator_views.revoke, name="revoke"),
]
