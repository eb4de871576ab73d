"""WC112 current_task: Celery's current_task becomes weft_compat's."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("current_task", "task_decorator", "task_classes")
HEAD = "from celery import current_task, shared_task\n\n@shared_task\ndef f(pk):\n"
AFTER = "import weft_compat\nfrom weft_compat import weft_task\n\n@weft_task\ndef f(pk):\n"


def test_update_state_becomes_weft_compat_update_state() -> None:
    check_rewritten(
        HEAD + "    current_task.update_state(state='PROGRESS', meta={'pk': pk})\n",
        AFTER + "    weft_compat.update_state(state='PROGRESS', meta={'pk': pk})\n",
        RULES,
    )


def test_positional_update_state_arguments_become_keywords() -> None:
    check_rewritten(
        HEAD + "    current_task.update_state(None, 'PROGRESS', {'pk': pk})\n",
        AFTER + "    weft_compat.update_state(task_id=None, state='PROGRESS', meta={'pk': pk})\n",
        RULES,
    )


def test_request_reads_go_through_the_module() -> None:
    check_rewritten(
        HEAD + "    return current_task.request.id, current_task.name\n",
        AFTER + "    return weft_compat.current_task.request.id, weft_compat.current_task.name\n",
        RULES,
    )


def test_a_bare_use_and_a_condition() -> None:
    check_rewritten(
        HEAD + "    task = current_task\n    if current_task:\n        log(current_task)\n",
        AFTER + "    task = weft_compat.current_task\n    if weft_compat.current_task:\n"
        "        log(weft_compat.current_task)\n",
        RULES,
    )


def test_celery_current_task_through_the_module() -> None:
    check_rewritten(
        "import celery\n\n@celery.shared_task\ndef f():\n"
        "    return celery.current_task.request.id\n",
        "import weft_compat\nfrom weft_compat import weft_task\n\n@weft_task\ndef f():\n"
        "    return weft_compat.current_task.request.id\n",
        RULES,
    )


def test_an_alias() -> None:
    check_rewritten(
        "from celery import current_task as ct, shared_task\n\n@shared_task\ndef f():\n"
        "    return ct.request.retries\n",
        "import weft_compat\nfrom weft_compat import weft_task\n\n@weft_task\ndef f():\n"
        "    return weft_compat.current_task.request.retries\n",
        RULES,
    )


def test_update_state_with_star_arguments_is_left_and_reported() -> None:
    outcome = check_flagged(
        "from celery import current_task\n\nfrom proj.other import kept\n\ndef helper(**meta):\n"
        "    current_task.update_state(**meta)\n",
        ["WC209"],
        RULES,
        modules={
            "proj.other": "from celery import shared_task\n\n"
            "@shared_task(ignore_results=True)\ndef kept():\n    pass\n"
        },
    )
    assert "current_task" in outcome.findings[0].message


KEPT = {
    "proj.other": "from celery import shared_task\n\n@shared_task(ignore_results=True)\n"
    "def kept():\n    pass\n"
}


def test_a_helper_is_rewritten_when_every_task_moves() -> None:
    check_rewritten(
        "from celery import current_task\n\ndef progress(n):\n"
        "    current_task.update_state(state='PROGRESS', meta={'n': n})\n",
        "import weft_compat\n\ndef progress(n):\n"
        "    weft_compat.update_state(state='PROGRESS', meta={'n': n})\n",
        RULES,
    )


def test_a_helper_is_reported_when_a_task_stays_on_celery() -> None:
    outcome = check_flagged(
        "from celery import current_task\n\ndef progress(n):\n"
        "    current_task.update_state(state='PROGRESS', meta={'n': n})\n",
        ["WC209"],
        RULES,
        modules=KEPT,
    )
    assert outcome.new_source is None


def test_inside_a_task_that_stays_on_celery_nothing_changes() -> None:
    check_flagged(
        "from celery import current_task, shared_task\n\n@shared_task(ignore_results=True)\n"
        "def f():\n    return current_task.request.id\n",
        ["WC202", "WC209"],
        (*RULES, "task_options"),
    )


def test_inside_a_moved_class() -> None:
    check_rewritten(
        "from celery import Task, current_task\n\nclass T(Task):\n    def run(self):\n"
        "        return current_task.request.id\n",
        "import weft_compat\nfrom weft_compat import WeftTaskBase\n\nclass T(WeftTaskBase):\n"
        "    def run(self):\n        return weft_compat.current_task.request.id\n",
        ("current_task", "task_base_classes"),
    )


def test_a_parameter_named_current_task_is_not_renamed() -> None:
    check_noop("def f(current_task):\n    return current_task\n", RULES)
