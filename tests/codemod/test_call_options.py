"""WC203 call_options: per-call options .using(...) refuses are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("call_options",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk):\n    pass\n"}
HEAD = "from proj.tasks import send\nfrom proj.celery import app\n\n"


@pytest.mark.parametrize("option", ["countdown", "eta", "expires", "link", "link_error", "task_id"])
def test_refused_options_are_flagged_with_their_section(option: str) -> None:
    outcome = check_flagged(
        HEAD + f"send.apply_async((1,), {option}=x)\n", ["WC203"], RULES, modules=TASKS
    )
    assert outcome.findings[0].guide == f"migration_guide/calling.md#{option}"


def test_unknown_option_is_flagged() -> None:
    check_flagged(
        HEAD + "send.apply_async((1,), MessageGroupId='g')\n", ["WC203"], RULES, modules=TASKS
    )


def test_options_by_position_are_flagged() -> None:
    check_flagged(HEAD + "send.apply_async((1,), {}, 'x')\n", ["WC203"], RULES, modules=TASKS)


def test_send_task_countdown_is_flagged() -> None:
    check_flagged(HEAD + "app.send_task('x', countdown=3)\n", ["WC203"], RULES, modules=TASKS)


def test_supported_options_are_not_flagged() -> None:
    check_noop(
        HEAD + "send.apply_async((1,), queue='q', serializer='json')\n", RULES, modules=TASKS
    )
