"""The test project's URLs: weft_compat's task URLs under `tasks/`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks/", include("weft_compat.django.urls")),
]
