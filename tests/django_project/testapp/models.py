"""A model the on_commit tests write, so commits and rollbacks are real."""

from __future__ import annotations

from django.db import models


class Order(models.Model):
    reference = models.CharField(max_length=40)
