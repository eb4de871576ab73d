"""WC202 task_options: refused options are reported, dropped or keeping the task on Celery."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop
from weft_compat._option_names import DECORATOR_OPTIONS, REFUSED_OPTIONS
from weft_compat.codemod.decorator_plan import DROPPED, KEEPS_CELERY

RULES = ("task_options",)


def test_every_dropped_or_kept_option_is_one_weft_task_refuses() -> None:
    assert set(DROPPED) <= set(REFUSED_OPTIONS)
    # ``base=`` is accepted when its class is a WeftTaskBase subclass (one the codemod
    # rewrote); any other class keeps the task on Celery.
    assert set(KEEPS_CELERY) - {"base"} <= set(REFUSED_OPTIONS)
    assert not set(DROPPED) & set(KEEPS_CELERY)
    assert not (set(DROPPED) | set(KEEPS_CELERY)) & DECORATOR_OPTIONS - {"base"}


@pytest.mark.parametrize("option", sorted(DROPPED))
def test_a_dropped_option_says_what_dropping_it_changes(option: str) -> None:
    outcome = check_flagged(
        f"from celery import shared_task\n\n@shared_task({option}=VALUE)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    finding = outcome.findings[0]
    assert finding.guide == f"migration_guide/decorator.md#{option.lower()}"
    assert f"task option {option!r} removed from the rewritten decorator: " in finding.message
    assert DROPPED[option] in finding.message


def test_a_dropped_rate_limit_says_the_task_runs_unthrottled() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(rate_limit='1/m')\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    assert "runs unthrottled" in outcome.findings[0].message


@pytest.mark.parametrize("option", sorted(set(KEEPS_CELERY) - {"base"}))
def test_an_option_that_keeps_the_task_on_celery_says_so(option: str) -> None:
    outcome = check_flagged(
        f"from celery import shared_task\n\n@shared_task({option}=VALUE)\ndef f():\n    pass\n",
        ["WC202"],
        RULES,
    )
    finding = outcome.findings[0]
    assert finding.guide == f"migration_guide/decorator.md#{option.lower()}"
    assert "so the task stays on Celery" in finding.message
    assert KEEPS_CELERY[option] in finding.message


def test_a_droppable_option_next_to_one_that_keeps_celery_is_kept() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(filter=f, rate_limit='1/m')\n"
        "def f():\n    pass\n",
        ["WC202", "WC202"],
        RULES,
    )
    assert "stays on Celery" in outcome.findings[0].message
    assert "'rate_limit' is dropped once another option" in outcome.findings[1].message


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
    assert "so the task stays on Celery" in outcome.findings[0].message
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
