"""WC211 celery_imports: Celery imports no other rule owns are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("celery_imports",)


def test_task_logger_alone_is_left_to_its_rule() -> None:
    check_noop("from celery.utils.log import get_task_logger\n", RULES)


def test_task_logger_beside_another_log_helper_is_reported() -> None:
    outcome = check_flagged(
        "from celery.utils.log import get_task_logger, get_logger\n", ["WC211", "WC211"], RULES
    )
    assert "WC114" in outcome.findings[0].message


def test_states_and_results_app() -> None:
    check_flagged(
        "from celery import states\nimport django_celery_results\n", ["WC211", "WC211"], RULES
    )


def test_owned_names_are_left_to_their_rules() -> None:
    check_noop(
        "from celery import shared_task, group\nfrom celery.exceptions import Retry\n", RULES
    )


def test_import_removed_by_a_rewrite_is_not_reported() -> None:
    check_rewritten(
        "import celery\n\n@celery.shared_task\ndef f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task\ndef f():\n    pass\n",
        ("task_decorator", "celery_imports"),
    )


def test_task_imported_for_annotations_is_reported() -> None:
    outcome = check_flagged(
        "from celery import Task\n\ndef run(task: Task) -> None:\n    pass\n",
        ["WC211"],
        ("celery_imports",),
    )
    assert "use weft_compat.WeftTaskBase" in outcome.findings[0].message


def test_task_imported_for_a_subclass_is_not_reported_here() -> None:
    check_noop("from celery import Task\n\nclass T(Task):\n    pass\n", ("celery_imports",))
