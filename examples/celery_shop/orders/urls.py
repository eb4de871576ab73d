"""URL routes for orders."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("", views.create_order, name="create"),
    path("quote/", views.quote, name="quote"),
    path("<int:pk>/resend-confirmation/", views.resend_confirmation, name="resend-confirmation"),
    path(
        "resend-confirmations/",
        views.resend_pending_confirmations,
        name="resend-pending-confirmations",
    ),
    path("reports/sales/", views.request_sales_report, name="sales-report"),
    path("tasks/<str:task_id>/", views.task_status, name="task-status"),
]
