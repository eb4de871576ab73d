"""WC303 task_cls: the app-wide task class is reported with the TASK_CLASS setting."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("task_cls",)
BASES = {"proj.base": "from celery import Task\n\nclass Base(Task):\n    pass\n"}


def test_a_dotted_string_becomes_the_setting_s_path() -> None:
    outcome = check_flagged(
        "from celery import Celery\n\napp = Celery('p', task_cls='proj.base:Base')\n",
        ["WC303"],
        RULES,
        modules=BASES,
    )
    message = outcome.findings[0].message
    assert "set WEFT_COMPAT[\"TASK_CLASS\"] = 'proj.base.Base'" in message
    assert "did not move it" not in message


def test_a_class_is_named_by_its_qualified_name() -> None:
    outcome = check_flagged(
        "from celery import Celery\nfrom proj.base import Base\n\n"
        "app = Celery('p', task_cls=Base)\n",
        ["WC303"],
        RULES,
        modules=BASES,
    )
    assert "'proj.base.Base'" in outcome.findings[0].message


def test_a_class_the_codemod_does_not_move_is_said_so() -> None:
    outcome = check_flagged(
        "import celery\n\napp = celery.Celery('p', task_cls='lib.tasks:Base')\n", ["WC303"], RULES
    )
    assert "lib.tasks.Base must be a weft_compat.WeftTaskBase subclass" in (
        outcome.findings[0].message
    )


def test_a_celery_subclass_attribute() -> None:
    check_flagged(
        "from celery import Celery\n\nclass App(Celery):\n    task_cls = 'proj.base:Base'\n",
        ["WC303"],
        RULES,
        modules=BASES,
    )


def test_an_app_without_task_cls_is_not_reported() -> None:
    check_noop("from celery import Celery\n\napp = Celery('p')\n", RULES)
