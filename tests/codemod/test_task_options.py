"""WC202 task_options: options @weft_task refuses are reported, never dropped."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_options",)


@pytest.mark.parametrize(
    "option",
    ["max_retries=3", "autoretry_for=(OSError,)", "rate_limit='1/m'", "expires=60", "throws=()"],
)
def test_refused_options_are_flagged(option: str) -> None:
    outcome = check_flagged(
        f"from celery import shared_task\n\n@shared_task({option})\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    name = option.partition("=")[0]
    assert outcome.findings[0].guide == f"migration_guide/decorator.md#{name}"


def test_typo_is_flagged_with_a_suggestion() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(ignore_results=True)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    assert "did you mean 'ignore_result'" in outcome.findings[0].message
    assert outcome.findings[0].guide.endswith("decorator.md#unknown-options")


def test_non_json_serializer_is_flagged() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(serializer='pickle')\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )


def test_splatted_options_are_flagged() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(**OPTS)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )


def test_refused_options_stay_flagged_after_migration() -> None:
    check_flagged(
        "from weft_compat import weft_task\n\n@weft_task(max_retries=3)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )


def test_supported_options_are_not_flagged() -> None:
    check_noop(
        """\
        from celery import shared_task

        @shared_task(name="x", bind=True, time_limit=5, soft_time_limit=4, serializer="json",
                     ignore_result=True, acks_late=True, queue="q", priority=3)
        def f(self):
            pass
        """,
        RULES,
    )


def test_base_is_left_to_task_classes() -> None:
    check_noop(
        "from celery import shared_task\n\n@shared_task(base=Custom)\ndef f():\n    pass\n",
        RULES,
    )
