"""Tests for order tasks and views; tasks run eagerly, so no broker is needed."""

# ruff: noqa: PT009 - Django TestCase assertions are the house style here.

from __future__ import annotations

from decimal import Decimal
from unittest import mock

from django.test import TestCase, override_settings
from django.urls import reverse

from .models import Order
from .tasks import compute_order_total, process_order

ITEMS = [
    {"sku": "MUG-01", "price": "12.50", "quantity": 2},
    {"sku": "TEE-XL", "price": "20.00", "quantity": 1},
]


class ComputeOrderTotalTests(TestCase):
    def test_totals_include_tax(self):
        totals = compute_order_total(ITEMS)
        self.assertEqual(totals, {"item_count": 3, "subtotal": 45.0, "tax": 9.0, "total": 54.0})

    @override_settings(CELERY_TASK_ALWAYS_EAGER=True)
    def test_delay_runs_eagerly(self):
        result = compute_order_total.delay(ITEMS)
        self.assertTrue(result.successful())
        self.assertEqual(result.get()["total"], 54.0)


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
class ProcessOrderTests(TestCase):
    def setUp(self):
        self.order = Order.objects.create(email="ada@example.com", items=ITEMS)

    @mock.patch("orders.tasks.notify_warehouse.delay")
    @mock.patch("orders.tasks.send_confirmation_email.delay")
    def test_marks_order_paid_and_sends_email(self, send_email, notify_warehouse):
        process_order.delay(self.order.pk)

        self.order.refresh_from_db()
        self.assertEqual(self.order.status, Order.Status.PAID)
        self.assertEqual(self.order.total, Decimal("54.00"))
        self.assertTrue(self.order.task_id)
        send_email.assert_called_once_with(self.order.pk)
        notify_warehouse.assert_called_once_with(self.order.pk)

    @mock.patch("orders.tasks.send_confirmation_email.delay")
    def test_skips_orders_already_processed(self, send_email):
        Order.objects.filter(pk=self.order.pk).update(status=Order.Status.SHIPPED)

        result = process_order.delay(self.order.pk)

        self.assertEqual(result.get(), Order.Status.SHIPPED)
        send_email.assert_not_called()

    # Celery only sends task_failure when eager errors are not propagated.
    @override_settings(CELERY_TASK_EAGER_PROPAGATES=False)
    @mock.patch("orders.tasks.send_confirmation_email.delay")
    def test_failure_marks_order_failed(self, send_email):
        Order.objects.filter(pk=self.order.pk).update(items=[{"sku": "MUG-01", "price": "n/a"}])

        with self.assertLogs("orders.signals", level="ERROR"):
            result = process_order.delay(self.order.pk)

        self.assertTrue(result.failed())
        self.assertIsInstance(result.result, ValueError)
        self.order.refresh_from_db()
        self.assertEqual(self.order.status, Order.Status.FAILED)
        send_email.assert_not_called()


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
class CreateOrderViewTests(TestCase):
    @mock.patch("orders.tasks.process_order.delay")
    def test_dispatches_processing_after_commit(self, process):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            response = self.client.post(
                reverse("orders:create"),
                {"email": "ada@example.com", "items": ITEMS},
                content_type="application/json",
            )

        self.assertEqual(response.status_code, 201)
        self.assertEqual(len(callbacks), 1)
        process.assert_called_once_with(response.json()["id"])

    def test_rejects_empty_basket(self):
        response = self.client.post(
            reverse("orders:create"),
            {"email": "ada@example.com", "items": []},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Order.objects.exists())


class TaskStatusViewTests(TestCase):
    @mock.patch("orders.views.AsyncResult")
    def test_reports_result_when_ready(self, async_result):
        async_result.return_value.state = "SUCCESS"
        async_result.return_value.ready.return_value = True
        async_result.return_value.successful.return_value = True
        async_result.return_value.result = {"total": 54.0}

        response = self.client.get(reverse("orders:task-status", args=["abc-123"]))

        async_result.assert_called_once_with("abc-123")
        self.assertEqual(
            response.json(),
            {
                "task_id": "abc-123",
                "state": "SUCCESS",
                "ready": True,
                "successful": True,
                "result": {"total": 54.0},
            },
        )

    @mock.patch("orders.views.AsyncResult")
    def test_pending_task_has_no_result(self, async_result):
        async_result.return_value.state = "PENDING"
        async_result.return_value.ready.return_value = False

        response = self.client.get(reverse("orders:task-status", args=["abc-123"]))

        self.assertEqual(
            response.json(), {"task_id": "abc-123", "state": "PENDING", "ready": False}
        )
