"""WC118 canvas_workflows: literal canvas becomes weft_compat's, whole or not at all."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules import canvas_workflows
from weft_compat.codemod.runner import Pending, index_source

# The flags beside it, which must stay quiet about what it rewrote.
RULES = ("canvas_workflows", "canvas", "delay_unresolved", "call_options")
TASKS = {
    "proj.tasks": (
        "from celery import shared_task\n\n"
        "@shared_task\ndef a(x=1, y=2):\n    pass\n\n"
        "@shared_task\ndef b(x=None):\n    pass\n\n"
        "@shared_task\ndef errback(task_id):\n    pass\n"
    )
}
HEAD = "from proj.tasks import a, b\n"


def rewritten(before: str, after: str, rules: tuple[str, ...] = RULES) -> None:
    """``before`` becomes ``after``, with nothing left to report."""
    outcome = check_rewritten(textwrap.dedent(before), textwrap.dedent(after), rules, modules=TASKS)
    assert outcome.findings == [], outcome.findings


def test_a_chain_of_signatures_and_its_import() -> None:
    rewritten(
        "from celery import chain\n" + HEAD + "\nchain(a.s(1), b.s()).delay()\n",
        HEAD + "from weft_compat import chain\n\nchain(a.step(1), b.step()).enqueue()\n",
    )


def test_a_pipe_of_signatures_applied_with_options() -> None:
    rewritten(
        HEAD + "\n(a.s(1) | b.s()).apply_async(countdown=5, queue='q')\n",
        HEAD + "\n(a.step(1) | b.step()).using(countdown=5, queue='q').enqueue()\n",
    )


def test_a_pipe_kept_as_a_value_of_a_statement() -> None:
    rewritten(HEAD + "\na.s(1) | b.s()\n", HEAD + "\na.step(1) | b.step()\n")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("group(a.s(i) for i in ids).delay()", "group(a.step(i) for i in ids).enqueue()"),
        ("group([a.s(1), b.s()]).delay()", "group([a.step(1), b.step()]).enqueue()"),
        ("group(a.s(1), b.s()).apply_async()", "group(a.step(1), b.step()).enqueue()"),
        ("group(*[a.s(1)], b.s()).delay(3)", "group(*[a.step(1)], b.step()).enqueue(3)"),
        ("group([a.s(i) for i in ids])()", "group([a.step(i) for i in ids]).enqueue()"),
    ],
)
def test_groups(before: str, after: str) -> None:
    rewritten(
        "from celery import group\n" + HEAD + f"\n{before}\n",
        HEAD + f"from weft_compat import group\n\n{after}\n",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("chord([a.s(1), a.s(2)])(b.s())", "chord([a.step(1), a.step(2)], b.step()).enqueue()"),
        (
            "chord(a.s(i) for i in ids)(b.s())",
            "chord((a.step(i) for i in ids), b.step()).enqueue()",
        ),
        (
            "chord(header=[a.s(1)])(b.s(), queue='q')",
            "chord(header=[a.step(1)], body=b.step()).using(queue='q').enqueue()",
        ),
        (
            "chord([a.s(1)], b.si(3)).apply_async(priority=3)",
            "chord([a.step(1)], b.fixed_step(3)).using(priority=3).enqueue()",
        ),
        (
            "chord(group(a.s(1), a.s(2)), b.s())()",
            "chord(group(a.step(1), a.step(2)), b.step()).enqueue()",
        ),
    ],
)
def test_chords(before: str, after: str) -> None:
    imports = "chord, group" if "group(" in before else "chord"
    rewritten(
        f"from celery import {imports}\n" + HEAD + f"\n{before}\n",
        HEAD + f"from weft_compat import {imports}\n\n{after}\n",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a.si(1).delay(2)", "a.fixed_step(1).enqueue(2)"),
        (
            "a.s(1).set(queue='q', countdown=5, priority=3).delay()",
            "a.step(1).using(queue='q', countdown=5, priority=3).enqueue()",
        ),
        ("a.s(1).set(serializer='json').delay(2)", "a.step(1).enqueue(2)"),
        ("a.signature((1,), {'y': 3}).delay(4)", "a.step(1, y=3).enqueue(4)"),
        (
            "a.signature((1,), immutable=True, queue='q').delay()",
            "a.fixed_step(1).using(queue='q').enqueue()",
        ),
        ("a.subtask(args=(1,)).delay(5)", "a.step(1).enqueue(5)"),
        ("a.s(*xs, **kw).delay()", "a.step(*xs, **kw).enqueue()"),
        ("a.s(1).apply_async((2,), {'y': 3})", "a.step(1).enqueue(2, y=3)"),
        ("a.s(1).apply_async(args, kwargs)", "a.step(1).enqueue(*args, **kwargs)"),
    ],
)
def test_signatures_options_and_dispatches(before: str, after: str) -> None:
    rewritten(HEAD + f"\n{before}\n", HEAD + f"\n{after}\n")


def test_calling_a_chain_or_a_group_starts_it() -> None:
    rewritten(
        "from celery import chain, group\n"
        + HEAD
        + "\nchain(a.s(), b.s())(1, y=2)\ngroup(a.s(), b.s())(1, queue='q')\n",
        HEAD
        + "from weft_compat import chain, group\n\n"
        + "chain(a.step(), b.step()).enqueue(1, y=2)\n"
        + "group(a.step(), b.step()).using(queue='q').enqueue(1)\n",
    )


def test_callbacks_of_a_task_s_apply_async() -> None:
    rewritten(
        HEAD + "from proj.tasks import errback\n\n"
        "a.apply_async((1,), link=b.s(), link_error=[errback.s()], countdown=3)\n",
        HEAD + "from proj.tasks import errback\n\n"
        "a.step(1).link(b.step()).link_error(errback.step()).using(countdown=3).enqueue()\n",
    )


def test_callbacks_of_a_signature() -> None:
    rewritten(
        HEAD + "from proj.tasks import errback\n\n"
        "a.s(1).apply_async(link=[b.s(), b.si(2)], queue='q')\n"
        "a.s(2).on_error(errback.s()).delay()\n",
        HEAD + "from proj.tasks import errback\n\n"
        "a.step(1).link(b.step()).link(b.fixed_step(2)).using(queue='q').enqueue()\n"
        "a.step(2).link_error(errback.step()).enqueue()\n",
    )


def test_a_workflow_kept_in_a_name_and_its_handle() -> None:
    rewritten(
        """\
        from celery import group
        from proj.tasks import a

        def view(ids):
            job = group(a.s(i, y=True) for i in ids)
            result = job.apply_async(countdown=10)
            result.save()
            return {"id": result.id, "done": result.completed_count()}
        """,
        """\
        from proj.tasks import a
        from weft_compat import group

        def view(ids):
            job = group(a.step(i, y=True) for i in ids)
            result = job.using(countdown=10).enqueue()
            return {"id": result.id, "done": result.completed_count()}
        """,
    )


def test_a_list_of_signatures_built_by_append() -> None:
    rewritten(
        """\
        from celery import group
        from proj.tasks import a

        def start(batches):
            for batch in batches:
                tasks = []
                for i in batch:
                    tasks.append(a.s(i))
                if tasks and len(tasks) > 1:
                    tasks.extend([a.si(0)])
                group(tasks).delay()
        """,
        """\
        from proj.tasks import a
        from weft_compat import group

        def start(batches):
            for batch in batches:
                tasks = []
                for i in batch:
                    tasks.append(a.step(i))
                if tasks and len(tasks) > 1:
                    tasks.extend([a.fixed_step(0)])
                group(tasks).enqueue()
        """,
    )


def test_a_list_of_signatures_extended_by_plus() -> None:
    rewritten(
        """\
        from celery import group
        from proj.tasks import a, b

        def start(ids):
            tasks = []
            tasks += [a.s(i) for i in ids]
            tasks += (b.s(),)
            group(*tasks).delay()
        """,
        """\
        from proj.tasks import a, b
        from weft_compat import group

        def start(ids):
            tasks = []
            tasks += [a.step(i) for i in ids]
            tasks += (b.step(),)
            group(*tasks).enqueue()
        """,
    )


def test_changes_in_place_become_rebindings() -> None:
    rewritten(
        """\
        from proj.tasks import a, b, errback

        def start(ids):
            sig = a.s(1)
            sig.set(queue="q")
            for i in ids:
                sig.link(b.s(i))
            sig.link_error(errback.s())
            sig.on_error(errback.si())
            sig.delay()
        """,
        """\
        from proj.tasks import a, b, errback

        def start(ids):
            sig = a.step(1)
            sig = sig.using(queue="q")
            for i in ids:
                sig = sig.link(b.step(i))
            sig = sig.link_error(errback.step())
            sig = sig.link_error(errback.fixed_step())
            sig.enqueue()
        """,
    )


def test_names_passed_on_within_the_function() -> None:
    rewritten(
        """\
        from celery import chain
        from proj.tasks import a, b

        def start(x):
            first = a.s(x) if x else a.si(0)
            flow = chain(first, b.s())
            flow |= b.s()
            again = flow
            again.apply_async(countdown=1)
        """,
        """\
        from proj.tasks import a, b
        from weft_compat import chain

        def start(x):
            first = a.step(x) if x else a.fixed_step(0)
            flow = chain(first, b.step())
            flow |= b.step()
            again = flow
            again.using(countdown=1).enqueue()
        """,
    )


def test_a_restored_group_and_its_reads() -> None:
    rewritten(
        """\
        from celery.result import GroupResult

        def status(group_id):
            result = GroupResult.restore(group_id, app=None)
            if result is None:
                return None
            if result is not None and result.ready():
                return result.get(timeout=5)
            result.revoke(terminate=True)
            return result.successful(), result.failed(), result.completed_count()
        """,
        """\
        from weft_compat import WorkflowSubmission

        def status(group_id):
            result = WorkflowSubmission.from_id(group_id)
            if not result.exists():
                return None
            if result.exists() and result.ready():
                return result.wait(timeout=5)
            result.revoke(terminate=True)
            return result.successful(), result.failed(), result.completed_count()
        """,
    )


def test_a_restore_read_at_once() -> None:
    rewritten(
        "from celery.result import GroupResult\n\nGroupResult.restore(gid).ready()\n",
        "from weft_compat import WorkflowSubmission\n\nWorkflowSubmission.from_id(gid).ready()\n",
    )


def test_a_saved_handle_alone_in_its_block_leaves_pass() -> None:
    rewritten(
        """\
        from celery import group
        from proj.tasks import a

        def start(ids, keep):
            result = group(a.s(i) for i in ids).delay()
            if keep:
                # durable on Weft
                result.save()
        """,
        """\
        from proj.tasks import a
        from weft_compat import group

        def start(ids, keep):
            result = group(a.step(i) for i in ids).enqueue()
            if keep:
                # durable on Weft
                pass
        """,
    )


def test_a_group_id_read_at_once() -> None:
    rewritten(
        "from celery import group\n" + HEAD + "\ngid = group(a.s(), b.s()).delay().id\n",
        HEAD + "from weft_compat import group\n\ngid = group(a.step(), b.step()).enqueue().id\n",
    )


def test_a_workflow_started_on_commit() -> None:
    rewritten(
        """\
        from celery import chain
        from django.db import transaction
        from proj.tasks import a, b

        def view(pk):
            transaction.on_commit(lambda: chain(a.s(pk), b.s()).delay())
        """,
        """\
        from django.db import transaction
        from proj.tasks import a, b
        from weft_compat import chain

        def view(pk):
            transaction.on_commit(lambda: chain(a.step(pk), b.step()).enqueue())
        """,
    )


def test_the_example_projects_view() -> None:
    # examples/celery_shop/orders/views.py, resend_pending_confirmations
    rewritten(
        """\
        from celery import group
        from proj.tasks import a

        def resend(request):
            order_ids = list(range(3))
            job = group(a.s(order_id, y=True) for order_id in order_ids)
            group_result = job.apply_async()
            return {"group_id": group_result.id, "count": len(order_ids)}
        """,
        """\
        from proj.tasks import a
        from weft_compat import group

        def resend(request):
            order_ids = list(range(3))
            job = group(a.step(order_id, y=True) for order_id in order_ids)
            group_result = job.enqueue()
            return {"group_id": group_result.id, "count": len(order_ids)}
        """,
    )


# Imports.


def test_import_celery_is_spelled_weft_compat() -> None:
    rewritten(
        "import celery\n" + HEAD + "\ncelery.chain(a.s(), b.s()).delay()\n",
        HEAD + "import weft_compat\n\nweft_compat.chain(a.step(), b.step()).enqueue()\n",
    )


def test_celery_canvas_is_celery() -> None:
    rewritten(
        "from celery.canvas import group\n" + HEAD + "\ngroup(a.s()).delay()\n",
        HEAD + "from weft_compat import group\n\ngroup(a.step()).enqueue()\n",
    )


def test_an_aliased_primitive_is_spelled_weft_compat() -> None:
    rewritten(
        "from celery import group as celery_group, shared_task\n"
        + HEAD
        + "\ncelery_group(a.s()).delay()\n",
        "from celery import shared_task\n"
        + HEAD
        + "import weft_compat\n\nweft_compat.group(a.step()).enqueue()\n",
    )


def test_an_import_still_used_by_celery_canvas_stays_beside_weft_compats() -> None:
    outcome = check_rewritten(
        "from celery import group\n" + HEAD + "from proj.other import job\n\n"
        "group(a.s()).delay()\ngroup(job.s()).delay()\n",
        "from celery import group\n" + HEAD + "from proj.other import job\nimport weft_compat\n\n"
        "weft_compat.group(a.step()).enqueue()\ngroup(job.s()).delay()\n",
        RULES,
        modules=TASKS,
    )
    assert [finding.code for finding in outcome.findings] == ["WC205"]


def test_attributes_and_keywords_spelled_like_the_import_do_not_keep_it() -> None:
    rewritten(
        "import re\nfrom celery import group\n"
        + HEAD
        + "\ngroup(a.s(re.match('x', s).group(1), group=1)).delay()\n",
        "import re\n" + HEAD + "from weft_compat import group\n\n"
        "group(a.step(re.match('x', s).group(1), group=1)).enqueue()\n",
    )


def test_a_name_read_elsewhere_keeps_celerys_import() -> None:
    outcome = check_rewritten(
        "from celery import group\n" + HEAD + "\ngroup(a.s()).delay()\nKIND = group\n",
        "from celery import group\n" + HEAD + "import weft_compat\n\n"
        "weft_compat.group(a.step()).enqueue()\nKIND = group\n",
        RULES,
        modules=TASKS,
    )
    assert outcome.findings == []


def test_the_import_joins_weft_compats_existing_one() -> None:
    rewritten(
        "from celery import chain\nfrom weft_compat import weft_task\n"
        + HEAD
        + "\nchain(a.s(), b.s()).delay()\n",
        "from weft_compat import weft_task, chain\n"
        + HEAD
        + "\nchain(a.step(), b.step()).enqueue()\n",
    )


def test_other_rules_do_not_report_what_was_rewritten() -> None:
    # delay_unresolved (WC201) would call job an unknown task; call_options (WC203)
    # would refuse link=.
    rewritten(
        """\
        from celery import group
        from proj.tasks import a, b

        def start(ids):
            job = group(a.s(i) for i in ids)
            job.delay()
            a.apply_async((1,), link=b.s())
        """,
        """\
        from proj.tasks import a, b
        from weft_compat import group

        def start(ids):
            job = group(a.step(i) for i in ids)
            job.enqueue()
            a.step(1).link(b.step()).enqueue()
        """,
    )


# Idempotence and the whole run.

WORKFLOWS = """\
from celery import chord, group
from celery.result import GroupResult
from django.db import transaction
from proj.tasks import a, b


def start(ids):
    tasks = []
    for i in ids:
        tasks.append(a.s(i))
    result = group(tasks).apply_async(countdown=3)
    result.save()
    chord(a.s(i) for i in ids)(b.s())
    transaction.on_commit(lambda: (a.s(1) | b.s()).delay())
    sig = a.si(2)
    sig.link(b.s())
    sig.delay()
    return result.id


def status(gid):
    result = GroupResult.restore(gid)
    if result is None:
        return None
    return result.completed_count()
"""


def test_a_second_run_changes_nothing() -> None:
    first = migrate(WORKFLOWS, ALL, modules=TASKS)
    assert first.status is Status.CHANGED, first.findings
    assert first.new_source is not None
    migrated = first.new_source.decode()
    assert "celery" not in migrated.replace("proj.tasks", "")
    assert first.findings == []
    check_noop(migrated, ALL, modules=TASKS)


def test_the_whole_codemod_rewrites_the_tasks_and_their_canvas() -> None:
    outcome = migrate(
        "from celery import chain, shared_task\n\n"
        "@shared_task\ndef add(x, y):\n    return x + y\n\n"
        "def run():\n    return chain(add.s(1, 2), add.s(3)).delay().ready()\n",
        ALL,
    )
    assert outcome.new_source is not None
    assert outcome.new_source.decode() == (
        "from weft_compat import chain, weft_task\n\n"
        "@weft_task\ndef add(x, y):\n    return x + y\n\n"
        "def run():\n    return chain(add.step(1, 2), add.step(3)).enqueue().ready()\n"
    )
    assert outcome.findings == []


def test_nothing_is_rewritten_when_one_part_is_not() -> None:
    outcome = check_flagged(
        """\
        from celery import chain, group
        from proj.tasks import a, b

        def start(ids):
            header = [a.s(i) for i in ids]
            job = group(header)
            job.apply_async(max_retries=3)
        """,
        ["WC205", "WC205", "WC205"],
        RULES,
        modules=TASKS,
    )
    assert outcome.status is Status.UNCHANGED
    assert all("max_retries" in finding.message for finding in outcome.findings)


# Safety.

HIDDEN_USE = """\
from proj.tasks import a


def start():
    sig = a.s(1)
    other = sig
    keep_for_later(other)
    other.delay()
"""


def test_the_outline_keeps_every_statement_of_a_function_with_canvas() -> None:
    # keep_for_later(other) holds no Celery spelling: left out of the outline, it would
    # let the rewrite hand it a step where it expects a signature.
    outline = migrate(HIDDEN_USE, RULES, modules=TASKS)
    whole = migrate(HIDDEN_USE, RULES, modules=TASKS, whole=True)
    assert outline == whole
    assert outline.status is Status.UNCHANGED
    assert any("passed to keep_for_later" in finding.message for finding in outline.findings)


def test_the_outline_and_the_whole_module_agree() -> None:
    assert migrate(WORKFLOWS, ALL, modules=TASKS) == migrate(
        WORKFLOWS, ALL, modules=TASKS, whole=True
    )


def test_a_step_left_unapplied_fails_the_file_rather_than_half_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def skipped(self: object, original: cst.Expr, updated: cst.Expr) -> cst.Expr:
        return updated

    monkeypatch.setattr(canvas_workflows.CanvasWorkflows, "leave_Expr", skipped)
    outcome = migrate(WORKFLOWS, ALL, modules=TASKS)
    assert outcome.status is Status.FAILED
    assert outcome.findings[-1].code == "WC002"
    assert outcome.new_source is None


def test_a_dispatch_helper_given_weft_tasks_builds_their_steps() -> None:
    # dispatch(task, ...) is called with a weft task everywhere: its parameter is one.
    outcome = check_rewritten(
        "def dispatch(task, *args):\n    task.s(*args).delay(1)\n",
        "def dispatch(task, *args):\n    task.step(*args).enqueue(1)\n",
        RULES,
        module="proj.helpers",
        modules={
            **TASKS,
            "proj.views": (
                "from proj.helpers import dispatch\nfrom proj.tasks import a\n\ndispatch(a, 2)\n"
            ),
        },
    )
    assert outcome.findings == []


def test_only_text_that_spells_canvas_is_read_for_it() -> None:
    def facts(source: bytes) -> bool:
        pending = index_source("m.py", source)
        assert isinstance(pending, Pending)
        return pending.facts.spells_canvas

    assert facts(b"from celery import shared_task\n\nt.delay(1)\n") is False
    assert facts(b"from celery import shared_task\n\nt.s(1)\n") is True
    assert facts(b"from celery.result import GroupResult\n") is True
