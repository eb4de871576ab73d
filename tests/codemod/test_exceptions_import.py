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
