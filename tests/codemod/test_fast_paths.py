"""The shortcuts give what the plain way gives, on real Celery code and on odd layouts.

Each shortcut is checked against the plain computation it replaces: the rules'
walk against LibCST's own transformer, positions found per statement against
positions from the whole module, spliced code against the whole module's code, a
migration over the outline against one over the whole source (here and over a
generated Celery project), and the parse check of the changed statements against a
parse of the whole result.
"""

from __future__ import annotations

import ast
import random
import textwrap
from pathlib import Path

import celery
import libcst as cst
import pytest

from benchmarks.celery_tree import generate
from weft_compat.codemod.codegen import new_code
from weft_compat.codemod.context import FileContext
from weft_compat.codemod.imports import add_imports, drop_imports, unused_after_rewrite
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.positions import locate, locate_in_statements
from weft_compat.codemod.rows import Lines, statement_rows
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.rules.base import Dispatcher, Rule
from weft_compat.codemod.runner import Pending, index_source
from weft_compat.codemod.sources import iter_python_files
from weft_compat.codemod.statements import map_statements
from weft_compat.codemod.syntax import pieces, syntax_error
from weft_compat.codemod.transform import migrate_source

ODD_LAYOUTS = {
    "layouts.py": '''
        # a comment before the docstring
        """Doc."""
        from celery import shared_task, group  # trailing
        from celery.exceptions import SoftTimeLimitExceeded
        import os ; import sys


        @shared_task(bind=True,
                     max_retries=3)  # c
        # between decorators
        @shared_task
        def send(self, pk, *, flag=False):
            # inside
            if pk:
                x = 1
            elif pk is None:  # elif
                return self.replace(send.s(1))
            else:
                pass
            try:
                y = 2
            except SoftTimeLimitExceeded:
                z = send.delay(1)
            finally:
                w = 4
            for i in range(3): send.delay(i)
            with open("x") as fh: pass
            return pk  ;  # semicolon


        class Base(object):
            CELERY_X = 1
            def run(self):
                return send.apply_async((1,), countdown=5)
                # trailing block comment
            # dedented comment

        def plain(a, b):
            return a + b \\
                + 1

        def café(x):
            r = send.delay(x)
            return r.id, r.status, "ünïcode"

        y = (send
             .delay(3))
        z = send . delay (4)
        if __name__ == "__main__":
            send.delay(1); send.delay(2)
        # footer comment
        ''',
    "imports.py": """
        # -*- coding: utf-8 -*-
        from __future__ import annotations
        import os
        import os.path as osp  # unused
        from functools import (
            partial,
            reduce,  # trailing
        )
        from django.db import transaction
        from celery import shared_task
        import json; import csv
        from .layouts import send


        def go(pk):
            import logging
            from django.db import models
            transaction.on_commit(lambda: send.delay(pk))
            return partial(send.delay, pk)
        import sys
        from itertools import chain as ch""",
    "views.py": """
        from django.db import transaction
        from functools import partial
        from celery.result import AsyncResult
        from .layouts import send

        def view(pk):
            transaction.on_commit(lambda: send.delay(pk))
            transaction.on_commit(partial(send.delay, pk), using="db")
            h = send.apply_async(args=(pk,), kwargs={"flag": True}, queue="q")
            r = AsyncResult(h.id)
            match pk:
                case 1:
                    return r.result
                case _:
                    pass
            return r.status, [send.delay(i) for i in range(3)]
        """,
}


def _sources() -> list[tuple[str, bytes]]:
    """Celery's own modules (a sample), the example project, and the odd layouts above."""
    celery_files = sorted(Path(celery.__file__).parent.rglob("*.py"))[::6]
    example = Path(__file__).resolve().parents[2] / "examples" / "celery_shop"
    files = [(str(path), path.read_bytes()) for path in [*celery_files, *example.rglob("*.py")]]
    odd = [(f"pkg/{name}", textwrap.dedent(text).encode()) for name, text in ODD_LAYOUTS.items()]
    crlf = ("pkg/crlf.py", odd[0][1].replace(b"\n", b"\r\n"))
    candidates = [*files, *odd, crlf]
    return [item for item in candidates if isinstance(index_source(*item), Pending)]


SOURCES = _sources()
IDS = [f"{Path(path).parent.name}/{Path(path).name}" for path, _ in SOURCES]


def _pending(path: str, source: bytes) -> Pending:
    first = index_source(path, source)
    assert isinstance(first, Pending)
    return first


class _Transformer(cst.CSTTransformer):
    """The rules run by LibCST's own transformer, as the codemod once did."""

    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules

    def on_visit(self, node: cst.CSTNode) -> bool:
        for rule in self.rules:
            hook = getattr(rule, f"visit_{type(node).__name__}", None)
            if hook is not None:
                hook(node)
        return True

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        for rule in self.rules:
            hook = getattr(rule, f"leave_{type(original_node).__name__}", None)
            if hook is not None:
                updated_node = hook(original_node, updated_node)
                if type(updated_node) is not type(original_node):
                    break
        return updated_node


def _run_rules(source: bytes, pending: Pending, walk: bool) -> tuple[str, list[tuple[str, str]]]:
    module = cst.parse_module(source)
    context = FileContext(
        path="m.py", facts=pending.facts, index=ProjectIndex.build([pending.facts])
    )
    rules = [rule(context) for rule in ALL_RULES]
    if walk:
        updated = Dispatcher(context, rules).transform(module)
    else:
        updated = module.visit(_Transformer(rules))
    return updated.code, [(finding.code, finding.message) for finding in context.findings]


@pytest.mark.parametrize(("path", "source"), SOURCES, ids=IDS)
def test_the_walk_runs_the_hooks_as_libcst_does(path: str, source: bytes) -> None:
    pending = _pending(path, source)
    assert _run_rules(source, pending, walk=True) == _run_rules(source, pending, walk=False)


@pytest.mark.parametrize(("path", "source"), SOURCES, ids=IDS)
def test_statement_positions_and_spliced_code_match_the_whole_module(
    path: str, source: bytes
) -> None:
    pending = _pending(path, source)
    rows = statement_rows(ast.parse(source), source)
    if rows is None:
        pytest.skip("ast's offsets do not index this source")
    module = cst.parse_module(source)
    index = ProjectIndex.build([pending.facts])
    context = FileContext(path=path, facts=pending.facts, index=index)
    dispatcher = Dispatcher(context, [rule(context) for rule in ALL_RULES])
    walked = dispatcher.transform(module)
    statements = map_statements(module, rows, source)
    assert statements is not None
    placed = [(item.statement, item.node) for item in context.findings if item.statement]
    located = locate_in_statements(module, statements, placed)
    assert located is not None
    everywhere = locate(module, [node for _, node in placed])
    assert located.positions == {id(node): everywhere[id(node)] for _, node in placed}
    removed = unused_after_rewrite(context.dropped_imports, source.decode(module.encoding))
    final = add_imports(drop_imports(walked, removed), context.added_imports)
    assert new_code(module, walked, final, statements, dispatcher.replaced) == final.code


@pytest.mark.parametrize(("path", "source"), SOURCES, ids=IDS)
def test_a_migration_is_the_same_with_or_without_the_shortcuts(path: str, source: bytes) -> None:
    pending = _pending(path, source)
    index = ProjectIndex.build([pending.facts])
    quick = migrate_source(source, path, pending.facts, index, ALL_RULES, pending.rows)
    # Without statement rows there is no outline, no statement map and no splicing.
    plain = migrate_source(source, path, pending.facts, index, ALL_RULES, ())
    assert quick == plain


def test_a_generated_project_migrates_the_same_with_or_without_the_shortcuts(
    tmp_path: Path,
) -> None:
    generate(tmp_path, apps=6, seed=5)
    paths = iter_python_files([str(tmp_path)])
    indexed = [index_source(path, Path(path).read_bytes()) for path in paths]
    pending = [item for item in indexed if isinstance(item, Pending)]
    index = ProjectIndex.build(item.facts for item in pending)
    assert len(pending) > 20
    for item in pending:
        source = Path(item.path).read_bytes()
        quick = migrate_source(source, item.path, item.facts, index, ALL_RULES, item.rows)
        plain = migrate_source(source, item.path, item.facts, index, ALL_RULES, ())
        assert quick == plain, item.path


# Lines a rewrite gone wrong could leave: some parse on their own, some only in place,
# some never.
FRAGMENTS = (
    b"x = 1\n",
    b"pass\n",
    b"# a comment\n",
    b"\n",
    b"if x:\n",
    b"else:\n",
    b"    y = 2\n",
    b"x = (\n",
    b")\n",
    b'"""\n',
    b"def f():\n",
    b"@decorator\n",
    b"x = 1 \\\n",
    b"from weft_compat import weft_task\n",
    b"return\n",
)


def _mutations(source: bytes, seed: int) -> list[bytes]:
    """``source`` with lines inserted, deleted, doubled or edited at random places."""
    rng = random.Random(seed)
    lines = source.splitlines(keepends=True)
    results = []
    for _ in range(24):
        changed = list(lines)
        for _ in range(rng.randrange(1, 4)):
            where = rng.randrange(len(changed) + 1)
            at = min(where, len(changed) - 1)
            action = rng.randrange(5)
            if action == 0 or not changed:
                changed.insert(where, rng.choice(FRAGMENTS))
            elif action == 1:
                del changed[at]
            elif action == 2:
                changed.insert(where, changed[at])
            elif action == 3:
                # The same line count, another statement at the line's indentation.
                line = changed[at]
                indent = line[: len(line) - len(line.lstrip(b" \t"))]
                changed[at] = indent + rng.choice(FRAGMENTS).lstrip(b" ")
            else:
                line = changed[at]
                cut = rng.randrange(len(line) + 1)
                changed[at] = line[:cut] + line[cut + 1 :]
        results.append(b"".join(changed))
    return results


def _whole(new: bytes) -> str | None:
    try:
        ast.parse(new)
    except SyntaxError as exc:
        return exc.msg
    return None


@pytest.mark.parametrize(("path", "source"), SOURCES, ids=IDS)
def test_parsing_the_changed_statements_says_what_parsing_the_whole_result_says(
    path: str, source: bytes
) -> None:
    rows = statement_rows(ast.parse(source), source)
    if not rows:
        pytest.skip("ast's offsets do not index this source")
    cut = pieces(source, rows, Lines(source))
    pending = _pending(path, source)
    index = ProjectIndex.build([pending.facts])
    migrated = migrate_source(source, path, pending.facts, index, ALL_RULES, pending.rows)
    for new in [migrated.new_source or source, *_mutations(source, len(source))]:
        error = syntax_error(source, new, cut)
        assert (error.msg if error else None) == _whole(new)
