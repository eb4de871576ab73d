"""WC213 unknown_tasks: task-shaped decorators the codemod does not know are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("unknown_tasks",)


def test_a_task_decorator_on_an_unknown_object_is_reported() -> None:
    outcome = check_flagged(
        "from proj.queue import broker\n\n@broker.task(bind=True)\ndef f(self):\n    pass\n",
        ["WC213"],
        RULES,
    )
    assert "'broker' is not a Celery app the codemod found" in outcome.findings[0].message


def test_a_bare_one_too() -> None:
    check_flagged(
        "from proj import jobs\n\n@jobs.queue.task\ndef f():\n    pass\n", ["WC213"], RULES
    )


def test_an_unbound_local_name() -> None:
    check_flagged("@worker.task\ndef f():\n    pass\n", ["WC213"], RULES)


def test_celery_3_decorators_are_reported() -> None:
    outcome = check_flagged(
        "from celery.task import periodic_task, task\n\n@task\ndef f():\n    pass\n\n"
        "@periodic_task(run_every=60)\ndef g():\n    pass\n",
        ["WC213", "WC213"],
        RULES,
    )
    assert "Celery 3's decorator" in outcome.findings[0].message


def test_known_apps_and_other_decorators_are_not_reported() -> None:
    check_noop(
        "from celery import shared_task\nfrom proj.celery import app\nimport functools\n\n"
        "@app.task\n@shared_task\n@functools.cache\ndef f():\n    pass\n",
        RULES,
    )


def test_self_task_is_not_a_decorator_to_report() -> None:
    check_noop("class A:\n    @self.task\n    def f(self):\n        pass\n", RULES)
