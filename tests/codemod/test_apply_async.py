"""WC104 apply_async: apply_async becomes [.using(...)].enqueue(...) when options carry over."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("apply_async",)
TASKS = {
    "proj.tasks": "from celery import shared_task\n\n@shared_task\n"
    "def send(pk, resend=False):\n    pass\n"
}
HEAD = "from proj.tasks import send\n\n"


def rewritten(before: str, after: str) -> None:
    check_rewritten(HEAD + before, HEAD + after, RULES, modules=TASKS)


def test_args_and_kwargs_literals_are_spread() -> None:
    rewritten(
        "send.apply_async(args=[1], kwargs={'resend': True})\n",
        "send.enqueue(1, resend=True)\n",
    )


def test_positional_args_tuple() -> None:
    rewritten("send.apply_async((1, 2))\n", "send.enqueue(1, 2)\n")


def test_args_expression_is_unpacked() -> None:
    rewritten("send.apply_async(args=ids, kwargs=extra)\n", "send.enqueue(*ids, **extra)\n")


def test_supported_options_move_to_using() -> None:
    rewritten(
        "send.apply_async(args=(1,), queue='emails', time_limit=30)\n",
        "send.using(queue='emails', time_limit=30).enqueue(1)\n",
    )


def test_json_serializer_is_dropped() -> None:
    rewritten("send.apply_async((1,), serializer='json')\n", "send.enqueue(1)\n")


def test_no_arguments() -> None:
    rewritten("send.apply_async()\n", "send.enqueue()\n")


def test_non_identifier_kwargs_keys_stay_a_mapping() -> None:
    rewritten(
        "send.apply_async(kwargs={'a-b': 1})\n",
        "send.enqueue(**{'a-b': 1})\n",
    )


def test_countdown_moves_to_using() -> None:
    rewritten(
        "send.apply_async((1,), countdown=10)\n",
        "send.using(countdown=10).enqueue(1)\n",
    )


def test_eta_and_expires_move_to_using_as_written() -> None:
    rewritten(
        "send.apply_async(args=[pk], eta=when, expires=when + timedelta(hours=1))\n",
        "send.using(eta=when, expires=when + timedelta(hours=1)).enqueue(pk)\n",
    )


def test_delay_options_keep_their_order_among_the_others() -> None:
    rewritten(
        "send.apply_async((1,), {'resend': True}, queue='q', countdown=5, expires=60)\n",
        "send.using(queue='q', countdown=5, expires=60).enqueue(1, resend=True)\n",
    )


def test_max_retries_keeps_the_call() -> None:
    check_noop(HEAD + "send.apply_async((1,), max_retries=3)\n", RULES, modules=TASKS)


def test_a_refused_option_keeps_the_delay_options_too() -> None:
    check_noop(HEAD + "send.apply_async((1,), countdown=10, link=cb)\n", RULES, modules=TASKS)


def test_splatted_options_keep_the_call() -> None:
    check_noop(HEAD + "send.apply_async((1,), **options)\n", RULES, modules=TASKS)


def test_unknown_receiver_keeps_the_call() -> None:
    check_noop("other.apply_async((1,))\n", RULES)


def test_a_publish_timeout_is_dropped_and_reported() -> None:
    outcome = check_rewritten(
        HEAD + "send.apply_async((1,), timeout=5, countdown=3)\n",
        HEAD + "send.using(countdown=3).enqueue(1)\n",
        ("apply_async", "call_options"),
        modules=TASKS,
    )
    assert [f.code for f in outcome.findings] == ["WC203"]
    assert "publish timeout" in outcome.findings[0].message
    assert outcome.findings[0].guide == "migration_guide/calling.md#timeout"


def test_a_publish_timeout_never_becomes_a_time_limit() -> None:
    outcome = check_rewritten(
        HEAD + "send.apply_async(args=[1], timeout=10)\n",
        HEAD + "send.enqueue(1)\n",
        ("apply_async",),
        modules=TASKS,
    )
    assert outcome.new_source is not None and b"timeout" not in outcome.new_source


SIGNATURE_RULES = ("apply_async", "canvas", "delay_unresolved", "call_options")


def test_a_signature_applied_at_once_is_one_enqueue() -> None:
    outcome = check_rewritten(
        HEAD + "send.s(1, resend=True).apply_async()\n",
        HEAD + "send.enqueue(1, resend=True)\n",
        SIGNATURE_RULES,
        modules=TASKS,
    )
    assert outcome.findings == []


def test_a_signature_with_options() -> None:
    check_rewritten(
        HEAD + "send.si(1).apply_async(countdown=10, queue='q')\n",
        HEAD + "send.using(countdown=10, queue='q').enqueue(1)\n",
        SIGNATURE_RULES,
        modules=TASKS,
    )


def test_signature_with_args_and_options_of_its_own() -> None:
    check_rewritten(
        HEAD + "send.signature((1,), {'resend': True}, queue='a').apply_async(queue='b')\n",
        HEAD + "send.using(queue='b').enqueue(1, resend=True)\n",
        SIGNATURE_RULES,
        modules=TASKS,
    )


def test_a_signature_delayed_without_arguments() -> None:
    check_rewritten(
        HEAD + "send.s(2).delay()\n", HEAD + "send.enqueue(2)\n", SIGNATURE_RULES, modules=TASKS
    )


def test_a_signature_given_more_arguments_is_a_workflow() -> None:
    # Celery puts the dispatch's arguments first: not one plain enqueue, but a step's.
    check_rewritten(
        HEAD + "send.s(2).delay(1)\n",
        HEAD + "send.step(2).enqueue(1)\n",
        (*SIGNATURE_RULES, "canvas_workflows"),
        modules=TASKS,
    )


def test_a_signature_given_more_arguments_is_canvas_without_its_rule() -> None:
    outcome = check_flagged(
        HEAD + "send.s(2).delay(1)\n", ["WC205"], SIGNATURE_RULES, modules=TASKS
    )
    assert "canvas_workflows (WC118) rewrites" in outcome.findings[0].message


def test_a_signature_of_an_unknown_task_is_reported() -> None:
    # As canvas (WC205), not as an unknown task's dispatch (WC201).
    check_flagged(
        "from proj.other import job\n\njob.s(1).apply_async()\n",
        ["WC205"],
        SIGNATURE_RULES,
        modules=TASKS,
    )


def test_a_signature_linked_to_an_unknown_task_stays() -> None:
    outcome = check_flagged(
        HEAD + "send.s(1).apply_async(link=other.s())\n",
        ["WC205"],
        (*SIGNATURE_RULES, "canvas_workflows"),
        modules=TASKS,
    )
    assert "'other' is not a task the codemod found" in outcome.findings[0].message
