"""The test project's URLs: weft_compat's task URLs under `tasks/`, its operator pages
under `ops/calls/`, and a widget page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from tests.django_project.pages import progress_page

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks/", include("weft_compat.django.urls")),
    path("ops/calls/", include("weft_compat.django.operator_urls")),
    path("progress/<str:tid>/", progress_page),
]
