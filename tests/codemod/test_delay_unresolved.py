"""WC201 delay_unresolved: dispatch sites left as they are, each reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("delay_unresolved",)
TASKS = {
    "proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk, **kw):\n"
    "    pass\n\n"
    "@shared_task(bind=True)\ndef mail(self, pk):\n    pass\n"
}


def test_unknown_receiver_is_flagged() -> None:
    outcome = check_flagged("def f():\n    task.delay(1)\n", ["WC201"], RULES)
    assert outcome.findings[0].line == 2
    assert "'task' is not a task" in outcome.findings[0].message


def test_a_parameter_of_a_function_is_reported_as_its_helper() -> None:
    outcome = check_flagged(
        "def f(task):\n    task.delay(1)\n", ["WC216"], (*RULES, "dispatch_helpers")
    )
    assert outcome.findings[0].line == 1


def test_unknown_apply_async_receiver_is_flagged() -> None:
    check_flagged("sig.apply_async()\n", ["WC201"], RULES)


def test_delay_passed_as_a_callback_is_flagged() -> None:
    check_flagged(
        "from proj.tasks import send\n\nmap(send.delay, ids)\n", ["WC201"], RULES, modules=TASKS
    )


def test_delay_stored_is_flagged() -> None:
    check_flagged(
        "from proj.tasks import send\n\nlater = send.delay\n", ["WC201"], RULES, modules=TASKS
    )


def test_countdown_the_task_cannot_take_is_flagged() -> None:
    outcome = check_flagged(
        "from proj.tasks import mail\n\nmail.delay(1, countdown=60)\n",
        ["WC201"],
        RULES,
        modules=TASKS,
    )
    message = outcome.findings[0].message
    assert "passes 'countdown' to the task as an argument" in message
    assert message.endswith(
        "if the option was meant, write mail.using(countdown=...).enqueue(...), otherwise drop it"
    )
    assert outcome.findings[0].guide == "migration_guide/calling.md#wc201-delay_unresolved"


def test_eta_through_a_module_attribute_names_the_same_receiver() -> None:
    outcome = check_flagged(
        "from proj import tasks\n\ntasks.mail.delay(1, eta=when)\n",
        ["WC201"],
        RULES,
        modules=TASKS,
    )
    assert "write tasks.mail.using(eta=...).enqueue(...)" in outcome.findings[0].message


def test_max_retries_the_task_cannot_take_points_at_the_decorator() -> None:
    outcome = check_flagged(
        "from proj.tasks import mail\n\nmail.delay(1, max_retries=3)\n",
        ["WC201"],
        RULES,
        modules=TASKS,
    )
    assert "@weft_task(max_retries=...)" in outcome.findings[0].message
    assert ".using(max_retries" not in outcome.findings[0].message
    assert outcome.findings[0].guide == "migration_guide/calling.md#max_retries"


def test_eta_reaching_var_keyword_is_not_flagged() -> None:
    check_noop("from proj.tasks import send\n\nsend.delay(1, eta=x)\n", RULES, modules=TASKS)


def test_known_task_call_is_not_flagged() -> None:
    check_noop("from proj.tasks import send\n\nsend.delay(1)\n", RULES, modules=TASKS)


def test_partial_inside_on_commit_is_left_to_on_commit() -> None:
    check_flagged(
        """\
        from functools import partial
        from django.db import transaction
        from proj.tasks import send

        transaction.on_commit(partial(send.delay, 1))
        """,
        [],
        ("on_commit", "delay_unresolved"),
        modules=TASKS,
    )


def test_apply_on_a_known_task_is_reported() -> None:
    outcome = check_flagged(
        "from proj.tasks import send\n\nsend.apply(args=(1,))\n", ["WC201"], RULES, modules=TASKS
    )
    assert "send.apply(...) runs the task inline" in outcome.findings[0].message


def test_apply_on_anything_else_is_not() -> None:
    check_noop("import functools\n\nfunctools.reduce.apply(x)\n", RULES)
