"""WC105 send_task: app.send_task becomes weft_compat.enqueue."""

from __future__ import annotations

from tests.codemod.tools import check_noop, check_rewritten

RULES = ("send_task",)


def test_send_task_with_args_and_kwargs() -> None:
    check_rewritten(
        "from proj.celery import app\n\napp.send_task('a.b', args=[1], kwargs={'x': 2})\n",
        "import weft_compat\n\nweft_compat.enqueue('a.b', 1, x=2)\n",
        RULES,
    )


def test_send_task_positional() -> None:
    check_rewritten(
        "from proj.celery import app\n\napp.send_task('a.b', (1,))\nprint(app)\n",
        "from proj.celery import app\nimport weft_compat\n\n"
        "weft_compat.enqueue('a.b', 1)\nprint(app)\n",
        RULES,
    )


def test_current_app() -> None:
    check_rewritten(
        "from celery import current_app\n\ncurrent_app.send_task(name)\n",
        "import weft_compat\n\nweft_compat.enqueue(name)\n",
        RULES,
    )


def test_countdown_goes_through_the_task_the_name_finds() -> None:
    check_rewritten(
        "from proj.celery import app\n\napp.send_task('a.b', args=[1], countdown=60)\n",
        "import weft_compat\n\nweft_compat.get_task('a.b').using(countdown=60).enqueue(1)\n",
        RULES,
    )


def test_call_options_move_to_using_in_order() -> None:
    check_rewritten(
        "from proj.celery import app\n\n"
        "app.send_task('a.b', (1,), {'x': 2}, queue='q', eta=when, expires=3600)\n",
        "import weft_compat\n\n"
        "weft_compat.get_task('a.b').using(queue='q', eta=when, expires=3600).enqueue(1, x=2)\n",
        RULES,
    )


def test_json_serializer_is_dropped() -> None:
    check_rewritten(
        "from proj.celery import app\n\napp.send_task('a.b', serializer='json')\n",
        "import weft_compat\n\nweft_compat.enqueue('a.b')\n",
        RULES,
    )


def test_refused_options_keep_the_call() -> None:
    check_noop(
        "from proj.celery import app\n\napp.send_task('a', countdown=1, max_retries=2)\n", RULES
    )


def test_other_receivers_are_left_alone() -> None:
    check_noop("client.send_task('a')\n", RULES)
