"""WC106 on_commit: dispatch on commit becomes enqueue_on_commit."""

from __future__ import annotations

from tests.codemod.tools import ALL, check_noop, check_rewritten

RULES = ("on_commit",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk):\n    pass\n"}
HEAD = "from django.db import transaction\nfrom proj.tasks import send\n\n"
TAIL = "transaction.atomic()\n"


def rewritten(before: str, after: str, head: str = HEAD) -> None:
    check_rewritten(head + before + TAIL, head + after + TAIL, RULES, modules=TASKS)


def test_lambda_delay() -> None:
    rewritten(
        "transaction.on_commit(lambda: send.delay(order.pk))\n",
        "send.enqueue_on_commit(order.pk)\n",
    )


def test_using_alias_is_kept() -> None:
    rewritten(
        "transaction.on_commit(lambda: send.delay(1), using='other')\n",
        "send.using(database='other').enqueue_on_commit(1)\n",
    )


def test_partial() -> None:
    check_rewritten(
        "from functools import partial\n"
        + HEAD
        + "transaction.on_commit(partial(send.delay, 1, x=2))\n"
        + TAIL,
        HEAD + "send.enqueue_on_commit(1, x=2)\n" + TAIL,
        RULES,
        modules=TASKS,
    )


def test_bare_delay() -> None:
    rewritten("transaction.on_commit(send.delay)\n", "send.enqueue_on_commit()\n")


def test_on_commit_imported_directly_and_dropped() -> None:
    check_rewritten(
        "from django.db.transaction import on_commit\nfrom proj.tasks import send\n\n"
        "on_commit(lambda: send.delay(1))\n",
        "from proj.tasks import send\n\nsend.enqueue_on_commit(1)\n",
        RULES,
        modules=TASKS,
    )


def test_with_the_delay_rule_too() -> None:
    check_rewritten(
        HEAD + "transaction.on_commit(lambda: send.delay(1))\n" + TAIL,
        HEAD + "send.enqueue_on_commit(1)\n" + TAIL,
        ("delay", "on_commit"),
        modules=TASKS,
    )


def test_robust_keeps_on_commit() -> None:
    check_noop(
        HEAD + "transaction.on_commit(lambda: send.delay(1), robust=True)\n", RULES, modules=TASKS
    )


def test_unknown_task_keeps_on_commit() -> None:
    check_noop(HEAD + "transaction.on_commit(lambda: other.delay(1))\n", RULES, modules=TASKS)


def test_other_callbacks_are_left_alone() -> None:
    check_noop(HEAD + "transaction.on_commit(lambda: print(1))\n", RULES, modules=TASKS)


PATCHED = {**TASKS, "proj.tests": 'mock.patch("proj.tasks.send.delay")\n'}


def test_a_task_a_test_patches_moves_to_enqueue_on_commit_too() -> None:
    # enqueue_on_commit calls the task's (patched) enqueue at commit.
    check_rewritten(
        HEAD + "transaction.on_commit(lambda: send.delay(order.pk))\n",
        HEAD.replace("from django.db import transaction\n", "")
        + "send.enqueue_on_commit(order.pk)\n",
        ("on_commit", "delay"),
        modules=PATCHED,
    )


def test_a_patched_task_in_partial_or_bare_moves_too() -> None:
    check_rewritten(
        "from functools import partial\n"
        + HEAD
        + "transaction.on_commit(partial(send.delay, 1))\ntransaction.on_commit(send.delay)\n",
        "from proj.tasks import send\n\nsend.enqueue_on_commit(1)\nsend.enqueue_on_commit()\n",
        ALL,
        modules=PATCHED,
    )


def test_a_patch_object_in_a_test_counts_too() -> None:
    tests = 'from proj.tasks import send\n\nmock.patch.object(send, "delay")\n'
    check_rewritten(
        HEAD + "transaction.on_commit(lambda: send.delay(1))\n",
        HEAD.replace("from django.db import transaction\n", "") + "send.enqueue_on_commit(1)\n",
        ("on_commit", "delay"),
        modules={**TASKS, "proj.tests": tests},
    )
