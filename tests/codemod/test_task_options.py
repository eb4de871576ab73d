"""WC202 task_options: options @weft_task refuses are reported, never dropped."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_options",)


@pytest.mark.parametrize(
    "option",
    ["rate_limit='1/m'", "throws=()", "countdown=10", "eta=when", "Request='x.Y'"],
)
def test_refused_options_are_flagged(option: str) -> None:
    outcome = check_flagged(
        f"from celery import shared_task\n\n@shared_task({option})\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    name = option.partition("=")[0]
    assert outcome.findings[0].guide == f"migration_guide/decorator.md#{name.lower()}"
    assert f"task option {name!r} is refused by @weft_task" in outcome.findings[0].message


def test_countdown_on_the_decorator_points_at_using() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(countdown=10)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    assert "task.using(countdown=...).enqueue(...)" in outcome.findings[0].message


def test_retry_policy_and_expires_carry_over_unreported() -> None:
    check_noop(
        """\
        from celery import shared_task

        @shared_task(bind=True, autoretry_for=(OSError,), dont_autoretry_for=(ValueError,),
                     max_retries=5, default_retry_delay=10, retry_backoff=True,
                     retry_backoff_max=600, retry_jitter=False, retry_kwargs={"countdown": 5},
                     expires=3600)
        def f(self):
            pass
        """,
        RULES,
    )


def test_retry_option_typo_is_flagged_with_a_suggestion() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(max_retry=5)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    assert "did you mean 'max_retries'" in outcome.findings[0].message


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
        "from weft_compat import weft_task\n\n@weft_task(rate_limit='1/m')\ndef f():\n    pass\n",
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
