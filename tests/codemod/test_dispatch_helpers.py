"""WC216 dispatch_helpers: functions that dispatch the task they are given."""

from __future__ import annotations

from pathlib import Path

from tests.codemod.tools import check_flagged, check_noop, check_rewritten, migrate
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.runner import run

RULES = ("delay", "apply_async", "delay_unresolved", "dispatch_helpers", "canvas")
TASKS = (
    "from celery import shared_task\n\n@shared_task\ndef send(pk, resend=False):\n    pass\n\n"
    "@shared_task\ndef notify(pk, resend=False):\n    pass\n\n"
    "@shared_task(ignore_results=True)\ndef kept(pk):\n    pass\n"
)
HELPER = "def dispatch(task, *args):\n    task.delay(*args)\n"
MODULE = "proj.helpers"


def helper_with(callers: str, helper: str = HELPER) -> object:
    return migrate(
        helper,
        RULES,
        module=MODULE,
        modules={"proj.tasks": TASKS, "proj.views": callers},
    )


CALLS = "from proj.helpers import dispatch\nfrom proj.tasks import notify, send\n\n"


def test_a_helper_every_call_gives_a_weft_task_is_rewritten() -> None:
    check_rewritten(
        HELPER,
        "def dispatch(task, *args):\n    task.enqueue(*args)\n",
        RULES,
        module=MODULE,
        modules={
            "proj.tasks": TASKS,
            "proj.views": CALLS + "dispatch(send, 1)\ndispatch(notify, 2)\n",
        },
    )


def test_by_keyword_too() -> None:
    check_rewritten(
        HELPER,
        "def dispatch(task, *args):\n    task.enqueue(*args)\n",
        RULES,
        module=MODULE,
        modules={"proj.tasks": TASKS, "proj.views": CALLS + "dispatch(task=send)\n"},
    )


def test_apply_async_inside_a_helper() -> None:
    check_rewritten(
        "def later(task, pk):\n    task.apply_async((pk,), countdown=60)\n",
        "def later(task, pk):\n    task.using(countdown=60).enqueue(pk)\n",
        RULES,
        module=MODULE,
        modules={
            "proj.tasks": TASKS,
            "proj.views": "from proj.helpers import later\nfrom proj.tasks import send\n\n"
            "later(send, 1)\n",
        },
    )


def test_an_option_name_not_every_task_takes_is_not_rewritten() -> None:
    # ``timer`` has a ``countdown`` parameter, ``send`` has not: .delay would pass it to
    # send as an argument, so the dispatch is left (and reported) as on send itself.
    modules = {
        "proj.tasks": TASKS + "\n@shared_task\ndef timer(pk, countdown=0):\n    pass\n",
        "proj.views": "from proj.helpers import go\nfrom proj.tasks import send, timer\n\n"
        "go(send)\ngo(timer)\n",
    }
    outcome = migrate(
        "def go(task):\n    task.delay(1, countdown=5)\n", RULES, module=MODULE, modules=modules
    )
    assert outcome.new_source is None
    assert [f.code for f in outcome.findings] == ["WC201"]


def test_an_unknown_argument_reports_the_helper_once_with_its_calls() -> None:
    outcome = check_flagged(
        HELPER + "\ndef twice(task):\n    task.delay(1)\n    task.delay(2)\n",
        ["WC216", "WC216"],
        RULES,
        module=MODULE,
        modules={
            "proj.tasks": TASKS,
            "proj.views": "from proj.helpers import dispatch, twice\nfrom proj.tasks import send\n"
            "\ndispatch(send, 1)\ndispatch(factory(), 2)\ntwice(other)\n",
        },
    )
    first, second = (finding.message for finding in outcome.findings)
    assert "dispatch() dispatches the task it is given (task.delay)" in first
    assert "proj.views.py:5 (task= is not a name the codemod can follow)" in first
    assert "proj.views.py:6 (task= is not a name the codemod can follow)" in second


def test_a_task_that_stays_on_celery_keeps_the_helper() -> None:
    outcome = check_flagged(
        HELPER,
        ["WC216"],
        RULES,
        module=MODULE,
        modules={
            "proj.tasks": TASKS,
            "proj.views": "from proj.helpers import dispatch\nfrom proj.tasks import kept\n\n"
            "dispatch(kept, 1)\n",
        },
    )
    assert "kept stays on Celery" in outcome.findings[0].message


def test_a_helper_passed_around_is_not_followed() -> None:
    check_flagged(
        HELPER,
        ["WC216"],
        RULES,
        module=MODULE,
        modules={"proj.tasks": TASKS, "proj.views": CALLS + "dispatch(send)\nhooks = [dispatch]\n"},
    )


def test_a_helper_never_called() -> None:
    outcome = check_flagged(HELPER, ["WC216"], RULES, module=MODULE, modules={"proj.tasks": TASKS})
    assert "no call of it in the tree" in outcome.findings[0].message


def test_a_signature_built_for_the_parameter_makes_a_helper() -> None:
    check_flagged(
        "def chain_of(task):\n    return task.s(1)\n",
        ["WC216"],
        RULES,
        module=MODULE,
        modules={
            "proj.tasks": TASKS,
            "proj.views": "from proj.helpers import chain_of\n\nchain_of(x)\n",
        },
    )


def test_functions_that_do_not_dispatch_a_parameter_are_no_helpers() -> None:
    check_noop("def f(x):\n    return x.other(1)\n", RULES, module=MODULE)


def test_calls_in_files_without_celery_spellings_count(tmp_path: Path) -> None:
    package = tmp_path / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tasks.py").write_text(TASKS)
    (package / "helpers.py").write_text(HELPER)
    (package / "views.py").write_text("from proj.helpers import dispatch\n\ndispatch(unknown, 1)\n")
    names = [rule.NAME for rule in ALL_RULES]
    outcomes = {Path(o.path).name: o for o in run([str(tmp_path)], names, jobs=1)}
    assert outcomes["views.py"].status is Status.SKIPPED
    helper = outcomes["helpers.py"]
    assert [f.code for f in helper.findings] == ["WC216"]
    assert "views.py:3" in helper.findings[0].message


def test_a_pool_s_map_is_no_dispatch() -> None:
    check_noop(
        "def run(executor, items):\n    return executor.map(str, items)\n", RULES, module=MODULE
    )
