"""WC205 canvas: canvas that WC118 leaves on Celery is reported whole, with why."""

from __future__ import annotations

import textwrap

import pytest

from tests.codemod.tools import check_flagged, check_noop, migrate
from weft_compat.codemod.report import Status

RULES = ("canvas",)
# With the rewrite and the flags it keeps quiet: what WC205 reports stays as it was.
BOTH = ("canvas_workflows", "canvas", "delay_unresolved", "call_options")
TASKS = {
    "proj.tasks": (
        "from celery import shared_task\n\n"
        "@shared_task\ndef a(x=1):\n    pass\n\n"
        "@shared_task\ndef b(x=None):\n    pass\n\n"
        "@shared_task(base=Custom)\ndef kept(x):\n    pass\n\n"
        "@shared_task\ndef on_failure(request, exc, traceback):\n    pass\n\n"
        "@shared_task\ndef on_anything(*args):\n    pass\n"
    )
}
HEAD = "from celery import chain, chord, group\nfrom proj.tasks import a, b\n\n"
OPTIONS = "canvas.md#options-and-callbacks-that-do-not-carry-over"


def flagged(source: str, guide: str, *parts: str, count: int = 1) -> None:
    """``source`` is left exactly as it is, with ``count`` WC205 findings linking ``guide``
    and the first one's message holding each of ``parts``."""
    outcome = check_flagged(textwrap.dedent(source), ["WC205"] * count, BOTH, modules=TASKS)
    assert outcome.status is Status.UNCHANGED, outcome.diff
    assert {finding.guide for finding in outcome.findings} == {f"migration_guide/{guide}"}
    for part in parts:
        assert part in outcome.findings[0].message, outcome.findings[0].message


@pytest.mark.parametrize(
    ("call", "part"),
    [
        ("chunks(a, [(1,)], 2)", "splits a task's calls into chunks"),
        ("signature('proj.tasks.a', args=(1,))", "builds a signature by task name"),
        ("xmap(a, [1])", "maps a task over an iterable"),
        ("GroupResult(gid, [])", "builds a handle from result ids"),
    ],
)
def test_primitives_without_a_counterpart(call: str, part: str) -> None:
    flagged(
        "from celery import chunks, signature, xmap\nfrom celery.result import GroupResult\n"
        f"from proj.tasks import a\n\n{call}.delay()\n",
        "canvas.md#canvas-with-no-weft_compat-spelling",
        part,
    )


def test_the_canvas_module_path_resolves() -> None:
    check_flagged("import celery.canvas\n\ncelery.canvas.chunks(x, [], 1)\n", ["WC205"], RULES)


@pytest.mark.parametrize("method", ["map", "starmap", "chunks"])
def test_mapping_methods_of_a_task(method: str) -> None:
    flagged(
        HEAD + f"a.{method}([1, 2]).delay()\n",
        "canvas.md#canvas-with-no-weft_compat-spelling",
        f"a.{method}(...)",
    )


@pytest.mark.parametrize("method", ["s", "si"])
def test_a_signature_of_something_not_known_as_a_task(method: str) -> None:
    flagged(
        HEAD + f"from proj.jobs import job\n\nchain(a.s(), job.{method}(1)).delay()\n",
        "canvas.md#receivers-that-are-not-known-tasks",
        f"job.{method}(...) looks like a Celery signature, but 'job' is not a task",
    )


def test_a_signature_on_self_is_reported() -> None:
    check_flagged("def f(self):\n    return self.s(1)\n", ["WC205"], RULES)


def test_a_signature_of_a_task_kept_on_celery() -> None:
    flagged(
        "from proj.tasks import kept\n\nkept.s(1).delay(2)\n",
        "canvas.md#receivers-that-are-not-known-tasks",
        "which stays a Celery task",
    )


def test_self_replace_in_a_bound_task() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(bind=True)\ndef t(self):\n"
        "    raise self.replace(x)\n",
        ["WC205"],
        RULES,
    )


def test_builtin_map_and_string_replace_are_left_alone() -> None:
    check_noop("def f(self, s):\n    map(str, s)\n    return self.replace('a', 'b')\n", RULES)


def test_literal_receivers_are_no_signature() -> None:
    check_noop("x = 'a'.s(1)\n", RULES)


def test_a_bitwise_or_without_canvas_is_left_alone() -> None:
    check_noop(HEAD + "flags = x | y\nq = Q(a=1) | Q(b=2)\n", BOTH, modules=TASKS)


@pytest.mark.parametrize(
    ("source", "part"),
    [
        ("WORKFLOW = chain(a.s(1), b.s())\n", "stored in the module-level name 'WORKFLOW'"),
        ("class Jobs:\n    flow = group(a.s(1))\n", "stored in the class attribute 'flow'"),
        ("def f():\n    return a.s(1)\n", "returned"),
        ("def f():\n    schedule(a.s(1))\n", "passed to schedule(...)"),
        ("def f(obj):\n    obj.flow = a.s(1)\n", "stored in obj.flow"),
        ("def f():\n    return {'x': a.s(1)}\n", "put in a collection"),
        ("def f(sig):\n    chain(sig, b.s()).delay()\n", "'sig' holds canvas built where"),
        ("def f():\n    sig = a.s(1)\n    helper(sig)\n    sig.delay()\n", "passed to helper"),
        ("def f():\n    sig = a.s(1)\n    return lambda: sig.delay()\n", "'sig' holds canvas"),
        ("def f(x):\n    for sig in x:\n        sig = a.s(1)\n    sig.delay()\n", "loop"),
        ("def f():\n    a.s(2).link(b.s()).delay()\n", "returns the callback"),
        ("def f():\n    sig = a.s(1)\n    sig.set(queue='q').delay()\n", "changes 'sig' in place"),
    ],
)
def test_canvas_built_far_from_where_it_runs(source: str, part: str) -> None:
    outcome = migrate(HEAD + source, BOTH, modules=TASKS)
    assert outcome.status is Status.UNCHANGED, outcome.diff
    assert outcome.findings
    assert {finding.code for finding in outcome.findings} == {"WC205"}
    assert any(part in finding.message for finding in outcome.findings), outcome.findings
    assert "migration_guide/canvas.md#canvas-built-far-from-where-it-runs" in {
        finding.guide for finding in outcome.findings
    }


def test_a_signature_used_before_it_is_changed_in_place() -> None:
    flagged(
        HEAD
        + "def f():\n    sig = a.s(1)\n    flow = chain(sig, b.s())\n"
        + "    sig.set(queue='q')\n    flow.delay()\n",
        "canvas.md#canvas-built-far-from-where-it-runs",
        "'sig' is used before it is changed in place",
        count=4,
    )


def test_a_signature_changed_in_a_loop_that_also_uses_it() -> None:
    flagged(
        HEAD
        + "def f(ids, out):\n    sig = a.s(1)\n    for i in ids:\n"
        + "        sig.link(b.s(i))\n        chain(sig, b.s()).delay()\n",
        "canvas.md#canvas-built-far-from-where-it-runs",
        "changed in place in a loop that also uses it",
        count=3,
    )


@pytest.mark.parametrize(
    ("call", "guide", "part"),
    [
        ("a.s(1).set(queue='q', max_retries=2).delay()", OPTIONS, "belongs to the task"),
        ("a.s(1).set(qeue='q').delay()", OPTIONS, "did you mean 'queue'"),
        ("a.s(1).apply_async((2,), timeout=5)", OPTIONS, "publish timeout"),
        (
            "a.s(1).set(**opts).delay()",
            OPTIONS,
            "with **",
        ),
        (
            "a.s(1).apply_async((2,), {}, 'q')",
            OPTIONS,
            "by position",
        ),
        (
            "chain(a.s(), b.s()).apply_async(link=b.s())",
            OPTIONS,
            "link= on a chain",
        ),
        (
            "a.apply_async((1,), link_error=on_failure.s())",
            OPTIONS,
            "(request, exc, traceback)",
        ),
        (
            "a.apply_async((1,), link_error=on_anything.s())",
            OPTIONS,
            "(request, exc, traceback)",
        ),
        (
            "a.s(1).on_error(chain(b.s(), b.s())).delay()",
            OPTIONS,
            "not one step",
        ),
        (
            "group(a.s(), b.s(), app=app).delay()",
            OPTIONS,
            "as keywords",
        ),
    ],
)
def test_options_and_callbacks_that_do_not_carry_over(call: str, guide: str, part: str) -> None:
    flagged(HEAD + "from proj.tasks import on_anything, on_failure\n\n" + call + "\n", guide, part)


@pytest.mark.parametrize(
    ("call", "part"),
    [
        ("a.s(1)()", "runs the task here, in this process"),
        ("a.s(1).set(immutable=True).delay()", "sets immutable="),
        ("a.s(1).clone().delay()", "canvas values are immutable"),
        ("group().delay()", "is empty"),
        ("group(group(a.s(), b.s())).delay()", "of one group takes that group's members"),
        ("chord(a.s(1), b.s()).delay()", "is not a group or a list of steps"),
        ("chord(group(a.s()), b.s())(b.s())", "is given a body when it has one"),
    ],
)
def test_canvas_with_no_weft_compat_spelling(call: str, part: str) -> None:
    flagged(HEAD + call + "\n", "canvas.md#canvas-with-no-weft_compat-spelling", part)


@pytest.mark.parametrize(
    ("body", "part"),
    [
        ("    return res\n", "handle 'res' is returned"),
        ("    return res.get(propagate=False)\n", "more than a timeout"),
        (
            "    try:\n        return res.get()\n    except ValueError:\n        pass\n",
            "inside a try or with block",
        ),
        ("    return res.results\n", "WorkflowSubmission.steps"),
        ("    return res.state\n", "the whole workflow's"),
        ("    return res.ready\n", "is not called without arguments"),
    ],
)
def test_workflow_handles_read_in_ways_that_differ(body: str, part: str) -> None:
    flagged(
        HEAD + "def f(ids):\n    res = group(a.s(i) for i in ids).delay()\n" + body,
        "canvas.md#workflow-handles-read-in-ways-that-differ",
        part,
    )


@pytest.mark.parametrize("read", ["res.id", "res.completed_count()"])
def test_a_chains_handle_has_no_group_reads(read: str) -> None:
    flagged(
        HEAD + f"def f():\n    res = chain(a.s(), b.s()).delay()\n    return {read}\n",
        "canvas.md#workflow-handles-read-in-ways-that-differ",
        "res.",
    )


def test_a_restored_handle_tested_for_truth() -> None:
    flagged(
        "from celery.result import GroupResult\n\n"
        "def f(gid):\n    res = GroupResult.restore(gid)\n    if not res:\n        return 0\n"
        "    return res.completed_count()\n",
        "canvas.md#workflow-handles-read-in-ways-that-differ",
        "test res.exists()",
    )


def test_a_handle_kept_at_module_level() -> None:
    flagged(
        HEAD + "RESULT = group(a.s(), b.s()).delay()\n",
        "canvas.md#workflow-handles-read-in-ways-that-differ",
        "its handle is stored in the module-level name 'RESULT'",
    )


def test_one_part_keeps_the_whole_workflow_and_its_import() -> None:
    source = textwrap.dedent(
        """\
        from celery import group
        from proj.tasks import a
        from proj.jobs import job

        def start(ids):
            tasks = [a.s(i) for i in ids]
            tasks.append(job.s())
            result = group(tasks).apply_async()
            return result.id
        """
    )
    outcome = check_flagged(source, ["WC205"] * 3, BOTH, modules=TASKS)
    assert outcome.status is Status.UNCHANGED
    messages = [finding.message for finding in outcome.findings]
    assert messages[0].startswith("[...] was not rewritten, like the rest of its workflow: ")
    assert messages[1].startswith("job.s(...) was not rewritten: job.s(...) looks like")
    assert messages[2].startswith("group(...).apply_async(...) was not rewritten, like the rest")


def test_rewritable_canvas_without_its_rule() -> None:
    outcome = check_flagged(HEAD + "chain(a.s(), b.s()).delay()\n", ["WC205"], RULES, modules=TASKS)
    finding = outcome.findings[0]
    assert "canvas_workflows (WC118) rewrites" in finding.message
    assert finding.guide == "migration_guide/canvas.md#wc118-canvas_workflows"


def test_a_signature_enqueued_at_once_is_apply_asyncs() -> None:
    check_flagged(HEAD + "a.s(1).delay()\n", [], ("apply_async", "canvas"), modules=TASKS)
    outcome = check_flagged(HEAD + "a.s(1).delay()\n", ["WC205"], RULES, modules=TASKS)
    assert "apply_async (WC104)" in outcome.findings[0].message


def test_a_canvas_dispatch_is_not_an_unknown_tasks() -> None:
    # delay_unresolved (WC201) keeps quiet: WC205 says why.
    check_flagged(
        HEAD + "from proj.jobs import job\n\ngroup(job.s()).delay()\n",
        ["WC205"],
        BOTH,
        modules=TASKS,
    )


def test_each_finding_says_why() -> None:
    outcome = check_flagged(
        HEAD + "from proj.jobs import job\n\njob.s(1).delay()\n", ["WC205"], BOTH, modules=TASKS
    )
    assert "not a task the codemod found as a weft task" in outcome.findings[0].why
