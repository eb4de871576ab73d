"""WC103 delay: .delay on a known task becomes .enqueue."""

from __future__ import annotations

from tests.codemod.tools import check_noop, check_rewritten

RULES = ("delay",)
TASKS = {
    "proj.tasks": "from celery import shared_task\n\n@shared_task\n"
    "def send(pk, countdown=0):\n    pass\n"
}


def test_delay_on_a_task_from_another_module() -> None:
    check_rewritten(
        "from proj.tasks import send\n\nsend.delay(1, x=2)\n",
        "from proj.tasks import send\n\nsend.enqueue(1, x=2)\n",
        RULES,
        modules=TASKS,
    )


def test_delay_through_a_module_attribute() -> None:
    check_rewritten(
        "from proj import tasks\n\ntasks.send.delay(1)\n",
        "from proj import tasks\n\ntasks.send.enqueue(1)\n",
        RULES,
        modules=TASKS,
    )


def test_delay_on_a_task_in_the_same_module() -> None:
    check_rewritten(
        """\
        from celery import shared_task

        @shared_task
        def send(pk):
            pass

        def view():
            send.delay(1)  # keep this comment
        """,
        """\
        from celery import shared_task

        @shared_task
        def send(pk):
            pass

        def view():
            send.enqueue(1)  # keep this comment
        """,
        RULES,
    )


def test_relative_import_resolves() -> None:
    check_rewritten(
        "from ..tasks import send\n\nsend.delay(1)\n",
        "from ..tasks import send\n\nsend.enqueue(1)\n",
        RULES,
        modules=TASKS,
        module="proj.views.orders",
    )


def test_a_genuine_countdown_parameter_is_kept() -> None:
    check_rewritten(
        "from proj.tasks import send\n\nsend.delay(1, countdown=5)\n",
        "from proj.tasks import send\n\nsend.enqueue(1, countdown=5)\n",
        RULES,
        modules=TASKS,
    )


def test_unknown_receiver_is_not_rewritten() -> None:
    check_noop("from elsewhere import send\n\nsend.delay(1)\n", RULES)


def test_eta_on_a_task_without_such_parameter_is_not_rewritten() -> None:
    check_noop("from proj.tasks import send\n\nsend.delay(1, eta=when)\n", RULES, modules=TASKS)


def test_reference_without_call_is_not_rewritten() -> None:
    check_noop("from proj.tasks import send\n\nmap(send.delay, [1, 2])\n", RULES, modules=TASKS)
