"""The test project's URLs: weft_compat's task URLs under `tasks/`, and a widget page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from tests.django_project.pages import progress_page

urlpatterns: list[URLPattern | URLResolver] = [
    path("tasks/", include("weft_compat.django.urls")),
    path("progress/<str:tid>/", progress_page),
]
