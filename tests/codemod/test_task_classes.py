"""WC209 task_classes: Task subclasses, base= and current_task are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_classes",)


def test_task_subclass() -> None:
    check_flagged(
        "from celery import Task\n\nclass Base(Task):\n    def on_failure(self, *a):\n"
        "        pass\n",
        ["WC209"],
        RULES,
    )


def test_app_task_subclass() -> None:
    check_flagged(
        "from proj.celery import app\n\nclass Base(app.Task):\n    pass\n", ["WC209"], RULES
    )


def test_base_option() -> None:
    outcome = check_flagged(
        "from celery import shared_task\n\n@shared_task(base=Base)\ndef f():\n    pass\n",
        ["WC209"],
        RULES,
    )
    assert outcome.findings[0].guide == "migration_guide/decorator.md#base"


def test_current_task() -> None:
    check_flagged(
        "from celery import current_task\n\ndef f():\n    current_task.update_state(state='X')\n",
        ["WC209"],
        RULES,
    )


def test_other_classes_are_left_alone() -> None:
    check_noop("class Task:\n    pass\n\nclass Sub(Task):\n    pass\n", RULES)
