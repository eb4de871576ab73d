"""WC101 exceptions_import: time-limit and retry exceptions come from weft_compat.exceptions."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop, check_rewritten
from weft_compat import exceptions
from weft_compat.codemod.rules.exceptions_import import MAPPED

RULES = ("exceptions_import",)


def test_time_limit_exceptions_move() -> None:
    check_rewritten(
        "from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded\n",
        "from weft_compat.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded\n",
        RULES,
    )


def test_aliases_are_kept() -> None:
    check_rewritten(
        "from celery.exceptions import SoftTimeLimitExceeded as Soft\n",
        "from weft_compat.exceptions import SoftTimeLimitExceeded as Soft\n",
        RULES,
    )


def test_retry_exceptions_move() -> None:
    outcome = check_rewritten(
        "from celery.exceptions import MaxRetriesExceededError, Retry, TaskRevokedError\n",
        "from weft_compat.exceptions import MaxRetriesExceededError, Retry, TaskRevokedError\n",
        RULES,
    )
    assert outcome.findings == []


def test_every_mapped_name_exists_in_weft_compat() -> None:
    assert set(exceptions.__all__) >= MAPPED


@pytest.mark.parametrize("name", ["Ignore", "Reject", "ImproperlyConfigured"])
def test_exceptions_without_counterpart_are_flagged_and_kept(name: str) -> None:
    outcome = check_flagged(
        f"from celery.exceptions import Retry, {name}, SoftTimeLimitExceeded\n", ["WC101"], RULES
    )
    assert outcome.new_source is None
    assert f"celery.exceptions.{name} is not migrated" in outcome.findings[0].message
    assert outcome.findings[0].col == len("from celery.exceptions import Retry, ") + 1


def test_other_modules_are_left_alone() -> None:
    check_noop("from myapp.exceptions import SoftTimeLimitExceeded\n", RULES)


def test_a_module_import_moves_by_attribute() -> None:
    check_rewritten(
        "from celery import exceptions\n\ntry:\n    pass\n"
        "except exceptions.SoftTimeLimitExceeded:\n    pass\n",
        "import weft_compat.exceptions\n\ntry:\n    pass\n"
        "except weft_compat.exceptions.SoftTimeLimitExceeded:\n    pass\n",
        RULES,
    )


def test_celery_exceptions_imported_whole() -> None:
    check_rewritten(
        "import celery.exceptions\n\nRETRIED = (celery.exceptions.Retry, OSError)\n",
        "import weft_compat.exceptions\n\nRETRIED = (weft_compat.exceptions.Retry, OSError)\n",
        RULES,
    )


def test_an_attribute_without_counterpart_is_reported() -> None:
    outcome = check_flagged(
        "from celery import exceptions\n\ndef f():\n    raise exceptions.Ignore()\n",
        ["WC101"],
        RULES,
    )
    assert outcome.new_source is None
    assert "celery.exceptions.Ignore is not migrated" in outcome.findings[0].message


KEPT = (
    "from celery import shared_task\nfrom celery.exceptions import SoftTimeLimitExceeded\n\n"
    "@shared_task(autoretry_for=(SoftTimeLimitExceeded,), ignore_results=True)\ndef f():\n"
    "    pass\n"
)


def test_a_module_whose_task_stays_on_celery_keeps_celery_s_exceptions() -> None:
    outcome = check_flagged(KEPT, ["WC101"], RULES)
    assert outcome.new_source is None
    assert "stays Celery's: task f stays on Celery" in outcome.findings[0].message


def test_a_module_with_an_unrecognised_task_decorator_keeps_them_too() -> None:
    outcome = check_flagged(
        "from celery.exceptions import Retry\nfrom proj.queue import broker\n\n"
        "@broker.task\ndef f():\n    raise Retry()\n",
        ["WC101"],
        RULES,
    )
    assert "decorator proj.queue.broker.task is not one the codemod knows" in (
        outcome.findings[0].message
    )


def test_attributes_stay_too_in_such_a_module() -> None:
    check_flagged(
        "from celery import exceptions, shared_task\n\n@shared_task(ignore_results=True)\n"
        "def f():\n    raise exceptions.Retry()\n",
        ["WC101"],
        RULES,
    )
