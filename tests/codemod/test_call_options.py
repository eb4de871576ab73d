"""WC203 call_options: per-call options .using(...) refuses are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

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


@pytest.mark.parametrize(
    ("value", "constructor"),
    [
        ("datetime.utcnow() + timedelta(days=1)", "datetime.utcnow"),
        ("datetime.now() + timedelta(minutes=5)", "datetime.now"),
        ("timedelta(hours=1) + datetime.today()", "datetime.today"),
        ("datetime(2030, 1, 1, 9)", "datetime"),
        ("datetime.fromtimestamp(stamp)", "datetime.fromtimestamp"),
    ],
)
def test_a_naive_eta_built_in_the_call_is_flagged(value: str, constructor: str) -> None:
    outcome = check_flagged(
        HEAD + f"from datetime import datetime, timedelta\n\nsend.apply_async((1,), eta={value})\n",
        ["WC203"],
        RULES,
        modules=TASKS,
    )
    finding = outcome.findings[0]
    assert f"option 'eta' is built from {constructor}(), a naive datetime" in finding.message
    assert finding.guide == "migration_guide/calling.md#wc203-call_options"
    assert finding.col == len("send.apply_async((1,), eta=") + 1 + value.index(constructor)


@pytest.mark.parametrize(
    "value",
    [
        "datetime.now(timezone.utc) + timedelta(days=1)",
        "datetime.now(tz=UTC)",
        "datetime(2030, 1, 1, 9, tzinfo=UTC)",
        "datetime(2030, 1, 1, 9, 0, 0, 0, UTC)",
        "datetime.utcnow().replace(tzinfo=UTC)",
        "timezone.now() + timedelta(days=1)",
        "when",
    ],
)
def test_an_aware_or_unknown_eta_is_not_flagged(value: str) -> None:
    check_noop(
        HEAD + f"from datetime import datetime, timedelta\n\nsend.apply_async((1,), eta={value})\n",
        RULES,
        modules=TASKS,
    )


def test_the_datetime_module_spelling_resolves() -> None:
    outcome = check_flagged(
        HEAD + "import datetime as dt\n\n"
        "app.send_task('x', expires=dt.datetime.utcnow() + dt.timedelta(hours=1))\n",
        ["WC203"],
        RULES,
        modules=TASKS,
    )
    assert "send_task() option 'expires' is built from dt.datetime.utcnow()" in (
        outcome.findings[0].message
    )


def test_a_local_function_named_like_datetime_is_not_flagged() -> None:
    check_noop(
        HEAD + "def utcnow():\n    pass\n\nsend.apply_async((1,), eta=utcnow())\n",
        RULES,
        modules=TASKS,
    )


def test_a_naive_eta_stays_flagged_after_migration() -> None:
    outcome = check_flagged(
        HEAD + "from datetime import datetime\n\nimport weft_compat\n\n"
        "send.using(eta=datetime.utcnow()).enqueue(1)\n"
        "weft_compat.get_task('x').using(expires=datetime.now()).enqueue()\n"
        "other.using(eta=datetime.utcnow())\n",
        ["WC203", "WC203"],
        RULES,
        modules=TASKS,
    )
    assert outcome.findings[0].message.startswith("using() option 'eta'")


def test_naive_eta_is_reported_beside_the_rewrite() -> None:
    outcome = check_rewritten(
        HEAD + "from datetime import datetime\n\nsend.apply_async((1,), eta=datetime.utcnow())\n",
        HEAD + "from datetime import datetime\n\nsend.using(eta=datetime.utcnow()).enqueue(1)\n",
        ("apply_async", "call_options"),
        modules=TASKS,
    )
    assert [finding.code for finding in outcome.findings] == ["WC203"]
