"""Order model."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class Order(models.Model):
    """A customer order; ``items`` is a list of ``{"sku", "price", "quantity"}``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Failed"

    email = models.EmailField()
    items = models.JSONField(default=list)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    # Id of the last background task started for this order, for status polling.
    task_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Order #{self.pk} ({self.status})"
