"""WC101 exceptions_import: time-limit exceptions come from weft_compat.exceptions."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

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


def test_exceptions_without_counterpart_are_flagged_and_kept() -> None:
    outcome = check_flagged(
        "from celery.exceptions import Retry, SoftTimeLimitExceeded\n", ["WC101"], RULES
    )
    assert outcome.new_source is None
    assert "Retry" in outcome.findings[0].message


def test_other_modules_are_left_alone() -> None:
    check_noop("from myapp.exceptions import SoftTimeLimitExceeded\n", RULES)
