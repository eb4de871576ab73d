"""WC215 task_arguments: arguments JSON cannot carry are reported, with the fix."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_arguments",)
TASKS = {
    "proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(x, y=None):\n"
    "    pass\n",
    "proj.models": "from django.db import models\n\nclass Order(models.Model):\n    pass\n\n"
    "class Report:\n    pass\n",
}
HEAD = "from proj.tasks import send\nfrom proj.models import Order, Report\n\n"


def flagged(source: str, count: int = 1) -> list[str]:
    outcome = check_flagged(HEAD + source, ["WC215"] * count, RULES, modules=TASKS)
    return [finding.message for finding in outcome.findings]


@pytest.mark.parametrize(
    "binding",
    [
        "Order.objects.get(pk=pk)",
        "Order.objects.create(total=1)",
        "Order.objects.filter(pk=pk).first()",
        "Order.objects.select_related('x').get(pk=pk)",
    ],
)
def test_a_model_instance_from_the_orm(binding: str) -> None:
    (message,) = flagged(f"def view(pk):\n    order = {binding}\n    send.delay(order)\n")
    assert "passes order, a model instance" in message
    assert "pass its primary key" in message


def test_get_object_or_404() -> None:
    flagged(
        "from django.shortcuts import get_object_or_404\n\ndef view(pk):\n"
        "    order = get_object_or_404(Order, pk=pk)\n    send.delay(x=order)\n"
    )


def test_get_or_create_s_first_element() -> None:
    flagged(
        "def view():\n    order, created = Order.objects.get_or_create(pk=1)\n"
        "    send.delay(order)\n"
    )


def test_a_for_over_a_queryset() -> None:
    flagged("def view():\n    for order in Order.objects.all():\n        send.delay(order)\n")


def test_request_user() -> None:
    flagged("def view(request):\n    send.delay(request.user)\n")


def test_self_in_a_model_method() -> None:
    (message,) = flagged(
        "from django.db import models\n\nclass Invoice(models.Model):\n    def save(self):\n"
        "        send.delay(self)\n"
    )
    assert "the model instance itself" in message


def test_self_in_any_method() -> None:
    flagged("class Mailer:\n    def go(self):\n        send.delay(self)\n")


def test_an_object_of_a_project_class_built_in_the_call() -> None:
    (message,) = flagged("send.delay(Report())\n")
    assert "a Report object built in the call" in message


@pytest.mark.parametrize("value", ["{1, 2}", "{x for x in y}", "set(ids)", "frozenset(ids)"])
def test_sets(value: str) -> None:
    flagged(f"send.delay({value})\n")


def test_apply_async_args_and_kwargs_are_looked_into() -> None:
    flagged(
        "def view(pk):\n    order = Order.objects.get(pk=pk)\n"
        "    send.apply_async(args=[order], kwargs={'y': {1}})\n",
        2,
    )


def test_the_primary_key_and_plain_values_are_fine() -> None:
    check_noop(
        HEAD + "def view(pk):\n    order = Order.objects.get(pk=pk)\n"
        "    send.delay(order.pk, y=[1, 2])\n    send.delay(pk, {'a': 1})\n",
        RULES,
        modules=TASKS,
    )


def test_a_rebound_name_is_forgotten() -> None:
    check_noop(
        HEAD + "def view(pk):\n    order = Order.objects.get(pk=pk)\n    order = order.pk\n"
        "    send.delay(order)\n",
        RULES,
        modules=TASKS,
    )


def test_calls_of_unknown_receivers_are_not_judged() -> None:
    check_noop(
        HEAD + "def view(pk):\n    order = Order.objects.get(pk=pk)\n    other.delay(order)\n",
        RULES,
        modules=TASKS,
    )
