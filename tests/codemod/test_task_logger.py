"""WC114 task_logger: Celery's get_task_logger is imported from weft_compat."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("task_logger", "celery_imports")


def test_the_import_moves_and_the_calls_stay() -> None:
    check_rewritten(
        "from celery.utils.log import get_task_logger\n\nlogger = get_task_logger(__name__)\n",
        "from weft_compat import get_task_logger\n\nlogger = get_task_logger(__name__)\n",
        RULES,
    )


def test_an_alias_is_kept() -> None:
    check_rewritten(
        "from celery.utils.log import get_task_logger as task_logger\n",
        "from weft_compat import get_task_logger as task_logger\n",
        RULES,
    )


def test_a_parenthesised_import_inside_a_function() -> None:
    check_rewritten(
        "def make():\n    from celery.utils.log import (get_task_logger)\n"
        "    return get_task_logger('x')\n",
        "def make():\n    from weft_compat import (get_task_logger)\n"
        "    return get_task_logger('x')\n",
        RULES,
    )


def test_an_import_with_other_helpers_is_left_whole_and_reported() -> None:
    source = "from celery.utils.log import get_task_logger, LoggingProxy\n"
    outcome = check_flagged(source, ["WC211", "WC211"], RULES)
    assert outcome.new_source is None or outcome.new_source.decode() == source


def test_a_logger_of_the_same_name_from_elsewhere_is_not_touched() -> None:
    check_noop("from myproject.log import get_task_logger\n", RULES)
    check_noop("from logging import getLogger\n", RULES)


def test_the_rewrite_is_idempotent() -> None:
    check_noop("from weft_compat import get_task_logger\n", RULES)
