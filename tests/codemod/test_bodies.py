"""The index's reading of function bodies, with and without the text check that spares
walking the bodies holding no call it reads."""

from __future__ import annotations

import ast
import textwrap

import pytest

from weft_compat.codemod.bodies import may_call, read_function
from weft_compat.codemod.facts import collect_facts
from weft_compat.codemod.indexing import Pending, index_source
from weft_compat.codemod.rows import Lines

CALLS = [
    "task.delay(1)",
    "(task.\n    # why\n    delay)(1)",
    "x = task.\\\n    si(1)",
    "make_task(f)",
    "t.apply_async(args=(1,))",
    "t . signature ()",
]
NO_CALLS = [
    'logger.info("%s done", record)\nreturn record',
    "value = compute(s, si)\nreturn value.save()",
    "return sum(item.size for item in items)",
]


@pytest.mark.parametrize("text", CALLS)
def test_the_text_check_sees_every_spelling_of_a_call_the_index_reads(text: str) -> None:
    assert may_call(text.encode())


@pytest.mark.parametrize("text", NO_CALLS)
def test_the_text_check_spares_bodies_without_such_a_call(text: str) -> None:
    assert not may_call(text.encode())


def test_text_that_is_not_ascii_may_always_call() -> None:
    assert may_call("return naïve\n".encode())


def test_a_body_without_calls_to_read_reads_the_same_by_its_statements() -> None:
    source = textwrap.dedent(
        """
        def factory(name, **options):
            config = load(name)
            if config:
                app = make_app(name)
                return app
            try:
                pass
            except KeyError:
                other = make_other()
                return other
            for item in config:
                def inner():
                    return build()
            return Celery(name)
        """
    )
    (function,) = ast.parse(source).body
    assert isinstance(function, ast.FunctionDef)
    walked = read_function(function, True)
    assert walked == read_function(function, True, reads_calls=False)
    assert set(walked.returns) == {"Celery", "build", "make_other", "make_app"}


def test_indexing_reads_a_dispatch_split_over_lines_as_a_whole_walk_does() -> None:
    source = textwrap.dedent(
        """
        from celery import shared_task


        def run_later(task, value):
            (task.
                delay)(value)


        def plain(value):
            return str(value)


        def run_now(task, value):
            task.delay(value)
        """
    ).encode()
    indexed = index_source("-", source)
    assert isinstance(indexed, Pending)
    whole = collect_facts(ast.parse(source), "", "")
    assert indexed.facts.bodies == whole.bodies
    assert indexed.facts.bodies["run_later"].dispatches == (("task", "delay"),)


def test_facts_read_with_the_lines_equal_those_read_without() -> None:
    source = textwrap.dedent(
        """
        from celery import Celery, shared_task


        def make_app(**options):
            options.setdefault("broker", "memory://")
            return Celery("proj", **options)


        def wrapper(**options):
            return shared_task(**options)


        def helper(job, value):
            job.s(value).apply_async()
            return job
        """
    ).encode()
    tree = ast.parse(source)
    with_lines = collect_facts(tree, "proj.tasks", "proj", lines=Lines(source))
    assert with_lines == collect_facts(tree, "proj.tasks", "proj")
