"""WC113 request_attributes and WC214 request_reads: what self.request has on weft_compat."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("request_attributes", "request_reads")
BOUND = "from celery import shared_task\n\n@shared_task(bind=True)\ndef f(self):\n"


def test_supported_attributes_are_left_alone() -> None:
    check_noop(
        BOUND + "    return (self.request.id, self.request.retries, self.request.args,\n"
        "            self.request.kwargs, self.request.headers, self.request.is_eager)\n",
        RULES,
    )


def test_correlation_id_is_the_task_id() -> None:
    check_rewritten(
        BOUND + "    return self.request.correlation_id\n",
        BOUND + "    return self.request.id\n",
        RULES,
    )


@pytest.mark.parametrize(
    "attribute",
    ["delivery_info", "properties", "reply_to", "hostname", "origin", "root_id", "parent_id",
     "group", "chord", "callbacks", "errbacks", "timelimit"],
)  # fmt: skip
def test_attributes_weft_compat_lacks_are_reported(attribute: str) -> None:
    outcome = check_flagged(BOUND + f"    return self.request.{attribute}\n", ["WC214"], RULES)
    assert f"self.request.{attribute} raises AttributeError" in outcome.findings[0].message


def test_a_subscript_of_one_is_reported_once() -> None:
    check_flagged(BOUND + "    key = self.request.delivery_info['routing_key']\n", ["WC214"], RULES)


def test_stopping_a_chain_is_reported() -> None:
    outcome = check_flagged(BOUND + "    self.request.chain = None\n", ["WC214"], RULES)
    assert "stops the rest of a Celery chain" in outcome.findings[0].message
    assert "does nothing" in outcome.findings[0].message


def test_the_first_parameter_of_a_bound_task_whatever_its_name() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(bind=True)\ndef f(task):\n"
        "    return task.request.hostname\n",
        ["WC214"],
        RULES,
    )


def test_an_unbound_task_s_self_is_not_a_task() -> None:
    check_noop(
        "from celery import shared_task\n\n@shared_task\ndef f(self):\n"
        "    return self.request.hostname\n",
        RULES,
    )


def test_a_task_class_method() -> None:
    check_flagged(
        "from celery import Task\n\nclass T(Task):\n    def on_success(self, *a):\n"
        "        return self.request.delivery_info\n",
        ["WC214"],
        RULES,
    )


def test_current_task_request() -> None:
    check_flagged(
        "from celery import current_task\n\ndef helper():\n"
        "    return current_task.request.root_id\n",
        ["WC214"],
        RULES,
    )


def test_a_view_s_request_is_not_a_task_s() -> None:
    check_noop(
        "from celery import shared_task\n\nclass View:\n    def get(self):\n"
        "        return self.request.user\n",
        RULES,
    )


def test_celery_only_names_on_a_bound_function_task_s_self() -> None:
    outcome = check_flagged(
        BOUND + "    self.delay(1)\n    return self.AsyncResult(x)\n", ["WC214", "WC214"], RULES
    )
    assert "self.delay is Celery's Task's" in outcome.findings[0].message
