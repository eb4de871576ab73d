"""The test project's URLs: weft_compat's task URLs under `tasks/`, its operator pages
under `ops/calls/`, a widget page, and views that enqueue."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from tests.django_project.pages import enqueue_async_page, enqueue_page, progress_page

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks/", include("weft_compat.django.urls")),
    path("ops/calls/", include("weft_compat.django.operator_urls")),
    path("progress/<str:tid>/", progress_page),
    path("enqueue/", enqueue_page),
    path("enqueue-async/", enqueue_async_page),
]
