"""WC107 async_result: AsyncResult becomes WeftSubmission.from_tid; same-meaning reads renamed."""

from __future__ import annotations

from tests.codemod.tools import check_noop, check_rewritten

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
        "from proj.celery import app\nfrom weft_compat import WeftSubmission\n\n"
        "WeftSubmission.from_tid(tid).stop()\n",
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
