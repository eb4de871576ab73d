"""WC107 async_result: AsyncResult becomes WeftSubmission.from_tid; same-meaning reads renamed."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop, check_rewritten

RULES = ("async_result",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk):\n    pass\n"}


def test_async_result_and_its_reads() -> None:
    check_rewritten(
        """\
        from celery.result import AsyncResult

        def status(task_id):
            result = AsyncResult(task_id)
            return result.id, result.status, result.result, result.state, result.ready()
        """,
        """\
        from weft_compat import WeftSubmission

        def status(task_id):
            result = WeftSubmission.from_tid(task_id)
            return result.tid, result.state, result.info, result.state, result.ready()
        """,
        RULES,
    )


def test_app_async_result_with_app_keyword() -> None:
    check_rewritten(
        "from proj.celery import app\n\nstate = app.AsyncResult(tid, app=app).state\n",
        "from weft_compat import WeftSubmission\n\nstate = WeftSubmission.from_tid(tid).state\n",
        RULES,
    )


def test_task_async_result() -> None:
    check_rewritten(
        "from proj.tasks import send\n\nsend.AsyncResult(tid).task_id\n",
        "from weft_compat import WeftSubmission\n\nWeftSubmission.from_tid(tid).tid\n",
        RULES,
        modules=TASKS,
    )


def test_reads_on_a_delay_result() -> None:
    check_rewritten(
        "from proj.tasks import send\n\ndef f():\n    r = send.delay(1)\n    return r.id\n",
        "from proj.tasks import send\n\ndef f():\n    r = send.delay(1)\n    return r.tid\n",
        RULES,
        modules=TASKS,
    )


def test_revoke_maps_to_stop_and_kill() -> None:
    check_rewritten(
        """\
        from celery.result import AsyncResult

        def f(t):
            r = AsyncResult(t)
            r.revoke()
            r.revoke(terminate=True)
            r.revoke(terminate=True, signal="SIGKILL")
        """,
        """\
        from weft_compat import WeftSubmission

        def f(t):
            r = WeftSubmission.from_tid(t)
            r.stop()
            r.stop()
            r.kill()
        """,
        RULES,
    )


def test_control_revoke() -> None:
    check_rewritten(
        "from proj.celery import app\n\napp.control.revoke(tid, terminate=True)\n",
        "from weft_compat import WeftSubmission\n\nWeftSubmission.from_tid(tid).stop()\n",
        RULES,
    )


def test_reads_on_other_objects_are_left_alone() -> None:
    check_noop("def f(order):\n    return order.id, order.status, order.result\n", RULES)


def test_rebound_name_stops_being_a_handle() -> None:
    check_rewritten(
        """\
        from celery.result import AsyncResult

        def f(t):
            r = AsyncResult(t)
            r = other()
            return r.id
        """,
        """\
        from weft_compat import WeftSubmission

        def f(t):
            r = WeftSubmission.from_tid(t)
            r = other()
            return r.id
        """,
        RULES,
    )


def test_migrated_code_is_left_alone() -> None:
    check_noop(
        "from weft_compat import WeftSubmission\n\n"
        "def f(t):\n    r = WeftSubmission.from_tid(t)\n    return r.tid, r.result(timeout=1)\n",
        RULES,
    )


HANDLE = "from celery.result import AsyncResult\n\ndef f(t):\n    r = AsyncResult(t)\n"
MIGRATED = (
    "from weft_compat import WeftSubmission\n\ndef f(t):\n    r = WeftSubmission.from_tid(t)\n"
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("r.get()", "r.wait()"),
        ("r.get(timeout=5)", "r.wait(timeout=5)"),
        ("r.get(timeout=5, propagate=False)", "r.wait(timeout=5, propagate=False)"),
        ("r.get(5)", "r.wait(5)"),
        ("r.get(5, False)", "r.wait(5, propagate=False)"),
        ("r.wait(timeout=1)", "r.wait(timeout=1)"),
        ("r.get()['total']", "r.wait()['total']"),
    ],
)
def test_get_becomes_wait_where_its_arguments_carry_over(before: str, after: str) -> None:
    check_rewritten(HANDLE + f"    return {before}\n", MIGRATED + f"    return {after}\n", RULES)


def test_get_on_a_dispatch_result_becomes_wait() -> None:
    check_rewritten(
        "from proj.tasks import send\n\ndef f():\n    result = send.delay(1)\n"
        "    return result.get(timeout=3), send.delay(2).get()\n",
        "from proj.tasks import send\n\ndef f():\n    result = send.enqueue(1)\n"
        "    return result.wait(timeout=3), send.enqueue(2).wait()\n",
        ("async_result", "delay"),
        modules=TASKS,
    )


@pytest.mark.parametrize(
    "call",
    [
        "r.get(interval=1)",
        "r.get(disable_sync_subtasks=False)",
        "r.get(**options)",
        "r.get(1, 2, 3)",
    ],
)
def test_get_with_other_arguments_is_left_and_reported(call: str) -> None:
    outcome = check_flagged(
        HANDLE + f"    return {call}\n", ["WC204"], ("async_result", "result_reads")
    )
    assert "r.get() was not rewritten" in outcome.findings[0].message


def test_get_on_other_objects_is_left_alone() -> None:
    check_noop("def f(d):\n    return d.get('key'), d.wait()\n", RULES)


def test_result_becomes_info_on_every_kind_of_handle() -> None:
    check_rewritten(
        HANDLE + "    return r.result, AsyncResult(t).result\n",
        MIGRATED + "    return r.info, WeftSubmission.from_tid(t).info\n",
        RULES,
    )


REVOKE_HEAD = "from proj.celery import app\n\n"


@pytest.mark.parametrize(
    "ids", ["[a, b]", "(a, b)", "[t.id for t in jobs]", "{a}", "(t.id for t in jobs)"]
)
def test_control_revoke_of_several_ids_stops_each(ids: str) -> None:
    check_rewritten(
        REVOKE_HEAD + f"def cancel(jobs, a, b):\n    app.control.revoke({ids}, terminate=True)\n",
        "from weft_compat import WeftSubmission\n\n"
        f"def cancel(jobs, a, b):\n    [WeftSubmission.from_tid(tid).stop() for tid in {ids}]\n",
        ("async_result",),
    )


def test_control_revoke_of_several_ids_whose_value_is_used_is_reported() -> None:
    outcome = check_flagged(
        REVOKE_HEAD + "replies = app.control.revoke([a, b])\n",
        ["WC207"],
        ("async_result", "celery_app"),
    )
    assert outcome.new_source is None
    assert "revoke(...) was not rewritten" in outcome.findings[0].message


def test_control_revoke_with_other_arguments_is_reported() -> None:
    check_flagged(
        REVOKE_HEAD + "app.control.revoke(tid, wait=True)\n",
        ["WC207"],
        ("async_result", "celery_app"),
    )
