"""WC203 call_options: per-call options .using(...) refuses are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("call_options",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk):\n    pass\n"}
HEAD = "from proj.tasks import send\nfrom proj.celery import app\n\n"


@pytest.mark.parametrize("option", ["max_retries", "link", "link_error", "task_id", "shadow"])
def test_refused_options_are_flagged_with_their_section(option: str) -> None:
    outcome = check_flagged(
        HEAD + f"send.apply_async((1,), {option}=x)\n", ["WC203"], RULES, modules=TASKS
    )
    assert outcome.findings[0].guide == f"migration_guide/calling.md#{option}"
    assert "the call was left as it is" in outcome.findings[0].message


def test_max_retries_is_sent_to_the_task_decorator() -> None:
    outcome = check_flagged(
        HEAD + "send.apply_async((1,), countdown=5, max_retries=2)\n",
        ["WC203"],
        RULES,
        modules=TASKS,
    )
    assert outcome.findings[0].col == len("send.apply_async((1,), countdown=5, ") + 1
    assert "@weft_task(max_retries=...)" in outcome.findings[0].message


@pytest.mark.parametrize("option", ["countdown=10", "eta=when", "expires=60", "expires=when"])
def test_delay_options_are_not_flagged(option: str) -> None:
    check_noop(HEAD + f"send.apply_async((1,), {option})\n", RULES, modules=TASKS)


def test_unknown_option_is_flagged() -> None:
    check_flagged(
        HEAD + "send.apply_async((1,), MessageGroupId='g')\n", ["WC203"], RULES, modules=TASKS
    )


def test_options_by_position_are_flagged() -> None:
    check_flagged(HEAD + "send.apply_async((1,), {}, 'x')\n", ["WC203"], RULES, modules=TASKS)


def test_send_task_call_options_are_not_flagged() -> None:
    check_noop(
        HEAD + "app.send_task('x', countdown=3, queue='q', expires=60)\n", RULES, modules=TASKS
    )


def test_send_task_refused_option_is_flagged() -> None:
    outcome = check_flagged(
        HEAD + "app.send_task('x', countdown=3, link=cb)\n", ["WC203"], RULES, modules=TASKS
    )
    assert outcome.findings[0].guide == "migration_guide/calling.md#link"


def test_supported_options_are_not_flagged() -> None:
    check_noop(
        HEAD + "send.apply_async((1,), queue='q', serializer='json')\n", RULES, modules=TASKS
    )
