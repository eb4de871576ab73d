"""No URLs: the tests call views directly."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
