"""WC205 canvas: workflow primitives are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("canvas",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef a(x):\n    pass\n"}


@pytest.mark.parametrize("call", ["chain(x, y)", "group(x)", "chord(x)(y)", "signature('a')"])
def test_primitives_are_flagged(call: str) -> None:
    check_flagged(
        f"from celery import chain, group, chord, signature\n\n{call}\n", ["WC205"], RULES
    )


def test_canvas_module_path_resolves() -> None:
    check_flagged("import celery.canvas\n\ncelery.canvas.group(x)\n", ["WC205"], RULES)


@pytest.mark.parametrize("method", ["s", "si", "map", "starmap", "chunks"])
def test_signature_methods_on_tasks_are_flagged(method: str) -> None:
    check_flagged(f"from proj.tasks import a\n\na.{method}(1)\n", ["WC205"], RULES, modules=TASKS)


def test_self_replace_in_a_bound_task() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(bind=True)\ndef t(self):\n"
        "    raise self.replace(x)\n",
        ["WC205"],
        RULES,
    )


def test_builtin_map_and_string_replace_are_left_alone() -> None:
    check_noop("def f(self, s):\n    map(str, s)\n    return self.replace('a', 'b')\n", RULES)


@pytest.mark.parametrize("method", ["s", "si"])
def test_a_signature_of_something_not_known_as_a_task_is_reported(method: str) -> None:
    outcome = check_flagged(f"from proj.jobs import job\n\njob.{method}(1)\n", ["WC205"], RULES)
    assert f"job.{method}(...) looks like a Celery signature" in outcome.findings[0].message


def test_a_signature_on_self_is_reported() -> None:
    check_flagged("def f(self):\n    return self.s(1)\n", ["WC205"], RULES)


def test_literal_receivers_are_no_signature() -> None:
    check_noop("x = 'a'.s(1)\n", RULES)


def test_a_known_task_s_signature_still_says_canvas() -> None:
    outcome = check_flagged(
        "from proj.tasks import a\n\nchain_of = [a.s(1)]\n", ["WC205"], RULES, modules=TASKS
    )
    assert "builds a Celery signature" in outcome.findings[0].message
