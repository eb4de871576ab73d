"""The task URLs: `path("tasks/", include("weft_compat.django.urls"))`.

`<tid>/` answers the call's status as JSON, `<tid>/events/` streams it as Server-Sent
Events and `<tid>/revoke/` stops the call; each asks the `AUTHORIZE` setting's policy
first (`weft_compat.django.authorization`).
"""

from __future__ import annotations

from django.urls import URLPattern, path

from weft_compat.django import views

__all__ = ["app_name", "urlpatterns"]

app_name = "weft_compat"

urlpatterns: list[URLPattern] = [
    path("<str:tid>/", views.status, name="status"),
    path("<str:tid>/events/", views.events, name="events"),
    path("<str:tid>/revoke/", views.revoke, name="revoke"),
]
