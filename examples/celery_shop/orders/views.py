"""JSON endpoints for checkout, order follow-up and task status polling."""

from __future__ import annotations

import json

from celery import group
from celery.result import AsyncResult
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST
from shop.celery import app

from .models import Order
from .tasks import compute_order_total, process_order, send_confirmation_email


@require_POST
def create_order(request: HttpRequest) -> JsonResponse:
    """Create an order and process it once the row is committed."""
    payload = json.loads(request.body)
    items = payload.get("items") or []
    if not items:
        return JsonResponse({"error": "An order needs at least one item."}, status=400)

    with transaction.atomic():
        order = Order.objects.create(email=payload["email"], items=items)
        # Dispatch only after commit, or the worker may not see the row yet.
        transaction.on_commit(lambda: process_order.delay(order.pk))

    return JsonResponse({"id": order.pk, "status": order.status}, status=201)


@require_POST
def quote(request: HttpRequest) -> JsonResponse:
    """Price a basket in the background; poll ``task_status`` for the result."""
    items = json.loads(request.body).get("items") or []
    result = compute_order_total.delay(items)
    return JsonResponse({"task_id": result.id}, status=202)


@require_POST
def resend_confirmation(request: HttpRequest, pk: int) -> JsonResponse:
    order = get_object_or_404(Order, pk=pk)
    result = send_confirmation_email.apply_async(
        args=[order.pk],
        kwargs={"resend": True},
        queue="emails",
        countdown=10,
    )
    order.task_id = result.id
    order.save(update_fields=["task_id", "updated_at"])
    return JsonResponse({"task_id": result.id}, status=202)


@require_POST
def resend_pending_confirmations(request: HttpRequest) -> JsonResponse:
    """Send the confirmation email again for every paid order not yet shipped."""
    order_ids = list(Order.objects.filter(status=Order.Status.PAID).values_list("pk", flat=True))
    job = group(send_confirmation_email.s(order_id, resend=True) for order_id in order_ids)
    group_result = job.apply_async()
    return JsonResponse({"group_id": group_result.id, "count": len(order_ids)}, status=202)


@require_POST
def request_sales_report(request: HttpRequest) -> JsonResponse:
    # Sent by name: the reporting worker may run a different release of the code.
    result = app.send_task("orders.tasks.build_sales_report", args=[request.POST.get("day")])
    return JsonResponse({"task_id": result.id}, status=202)


@require_GET
def task_status(request: HttpRequest, task_id: str) -> JsonResponse:
    """Report a task's state for the front end to poll."""
    result = AsyncResult(task_id)
    response = {"task_id": task_id, "state": result.state, "ready": result.ready()}
    if result.ready():
        response["successful"] = result.successful()
        response["result"] = result.result if result.successful() else str(result.result)
    return JsonResponse(response)
