"""Files in syntax newer than the running interpreter's are parsed, indexed and rewritten."""

from __future__ import annotations

from pathlib import Path

from weft_compat.codemod.parsing import parse_module, parses
from weft_compat.codemod.report import Status
from weft_compat.codemod.rules import ALL_RULES
from weft_compat.codemod.runner import Pending, index_source, run

NAMES = [rule.NAME for rule in ALL_RULES]
PEP_758 = (
    b"from celery import shared_task\n\n@shared_task\ndef f(x):\n    try:\n        return x\n"
    b"    except KeyError, ValueError:\n        return None\n"
)


def test_ast_parses_what_it_can_with_exact_positions() -> None:
    tree, exact = parse_module(b"x = 1\n")
    assert exact
    assert tree.body


def test_unparenthesised_except_tuples_parse_through_libcst() -> None:
    tree, exact = parse_module(PEP_758)
    assert not exact
    assert [node.__class__.__name__ for node in tree.body] == ["ImportFrom", "FunctionDef"]


def test_template_strings_parse_through_libcst() -> None:
    _, exact = parse_module(b'from celery import shared_task\nmessage = t"hi {name}"\n')
    assert not exact


def test_real_syntax_errors_still_raise_ast_s_error() -> None:
    assert not parses(b"def (:\n")


def test_the_index_reads_such_a_file_instead_of_reporting_it() -> None:
    pending = index_source("tasks.py", PEP_758)
    assert isinstance(pending, Pending)
    assert "f" in pending.facts.functions
    assert pending.rows == ()


def test_such_a_file_is_rewritten_and_its_newer_syntax_kept(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_bytes(PEP_758)
    (tmp_path / "views.py").write_text("from tasks import f\n\nf.delay(1)\n")
    outcomes = {Path(o.path).name: o for o in run([str(tmp_path)], NAMES, jobs=1)}
    tasks = outcomes["tasks.py"]
    assert tasks.status is Status.CHANGED, tasks.findings
    assert tasks.new_source == PEP_758.replace(
        b"from celery import shared_task", b"from weft_compat import weft_task"
    ).replace(b"@shared_task", b"@weft_task")
    assert outcomes["views.py"].new_source == b"from tasks import f\n\nf.enqueue(1)\n"
