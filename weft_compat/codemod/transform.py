"""Migrate one file's source: parse, run the rules, check the result, never raise."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext, PendingFinding
from weft_compat.codemod.facts import ModuleFacts
from weft_compat.codemod.imports import add_imports, drop_imports, unused_after_rewrite
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.positions import locate
from weft_compat.codemod.report import (
    PARSE_ERROR,
    UNSAFE_REWRITE,
    FileOutcome,
    Finding,
    Status,
    guide_link,
)
from weft_compat.codemod.rules.base import Dispatcher, Rule

FAILURE_GUIDE = "codemod.md#files-the-codemod-cannot-process"


def failure(path: str, code: str, message: str, line: int = 1, col: int = 1) -> FileOutcome:
    """A failed outcome carrying one finding that says why."""
    finding = Finding(path, line, col, code, message, guide_link(FAILURE_GUIDE))
    return FileOutcome(path, Status.FAILED, [finding])


def _positions(module: cst.Module, pending: list[PendingFinding], path: str) -> list[Finding]:
    if not pending:
        return []
    # Positions cost a code-generation pass, so only files with findings pay it.
    where = locate(module, [item.node for item in pending])
    findings = set()
    for item in pending:
        line, col = where.get(id(item.node), (1, 0))
        findings.add(Finding(path, line, col + 1, item.code, item.message, item.guide))
    return sorted(findings)


def _removed(node: cst.CSTNode, removed: set[str]) -> bool:
    """Whether ``node`` is an import alias the rewrite removed (its finding is moot)."""
    if not removed or not isinstance(node, cst.ImportAlias):
        return False
    bound = node.asname.name if node.asname is not None else node.name
    return isinstance(bound, cst.Name) and bound.value in removed


def unified_diff(path: str, before: str, after: str) -> str:
    """A unified diff of one file, in the ``a/`` ``b/`` form ``git apply`` accepts."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path.lstrip('/')}",
        tofile=f"b/{path.lstrip('/')}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else f"{line}\n" for line in lines)


def migrate_source(
    source: bytes,
    path: str,
    facts: ModuleFacts,
    index: ProjectIndex,
    rule_classes: Sequence[type[Rule]],
) -> FileOutcome:
    """Rewrite one module; every problem becomes a finding, never an exception."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return failure(path, PARSE_ERROR, f"file does not parse: {exc.message}", exc.raw_line)
    except Exception as exc:  # LibCST raises a few other errors on odd input
        return failure(path, PARSE_ERROR, f"file does not parse: {exc!r}")
    context = FileContext(path=path, facts=facts, index=index)
    try:
        dispatcher = Dispatcher([rule(context) for rule in rule_classes])
        updated = module.visit(dispatcher)
        removed: set[str] = set()
        new_source = source
        if dispatcher.changed:
            removed = unused_after_rewrite(context.dropped_imports, source.decode(module.encoding))
            updated = add_imports(drop_imports(updated, removed), context.added_imports)
            new_source = updated.code.encode(updated.encoding)
        pending = [item for item in context.findings if not _removed(item.node, removed)]
        findings = _positions(module, pending, path)
    except Exception as exc:  # a rule must not stop the run over the rest of the tree
        return failure(path, UNSAFE_REWRITE, f"rewrite failed and the file was left as is: {exc!r}")
    if new_source == source:
        return FileOutcome(path, Status.UNCHANGED, findings)
    try:
        ast.parse(new_source)
    except SyntaxError as exc:
        message = f"the rewrite would not parse ({exc.msg}), so the file was left as is"
        return failure(path, UNSAFE_REWRITE, message)
    diff = unified_diff(path, source.decode(module.encoding), new_source.decode(module.encoding))
    return FileOutcome(path, Status.CHANGED, findings, new_source=new_source, diff=diff)
