"""Migrate one file's source: outline, parse, run the rules, check the result, never raise."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.apps import app_references
from weft_compat.codemod.codegen import new_code
from weft_compat.codemod.context import FileContext, PendingFinding
from weft_compat.codemod.facts import ModuleFacts
from weft_compat.codemod.failures import failure
from weft_compat.codemod.imports import (
    add_imports,
    bound_name,
    drop_imports,
    unused_after_rewrite,
)
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.outline import Outline, outline
from weft_compat.codemod.parsing import parses
from weft_compat.codemod.positions import locate, locate_in_statements
from weft_compat.codemod.relevance import relevance
from weft_compat.codemod.report import (
    PARSE_ERROR,
    UNSAFE_REWRITE,
    FileOutcome,
    Finding,
    Status,
)
from weft_compat.codemod.rows import Lines, Row, statement_rows
from weft_compat.codemod.rules.base import Dispatcher, Rule
from weft_compat.codemod.statements import StatementMap, map_statements
from weft_compat.codemod.syntax import Pieces, pieces, syntax_error


def _positions(
    module: cst.Module,
    statements: StatementMap | None,
    pending: list[PendingFinding],
    path: str,
) -> list[Finding]:
    if not pending:
        return []
    # Positions cost code generation, so only files with findings pay it, and only
    # for the statements holding them when the statements are mapped.
    located = None
    if statements is not None:
        placed = [(item.statement, item.node) for item in pending if item.statement is not None]
        if len(placed) == len(pending):
            try:
                located = locate_in_statements(module, statements, placed)
            except Exception:  # a shortcut never decides the outcome; the whole module does
                located = None
    if located is not None:
        where = located.positions
    else:
        where = locate(module, [item.node for item in pending])
    findings = set()
    for item in pending:
        line, col = where.get(id(item.node), (1, 0))
        findings.add(Finding(path, line, col + 1, item.code, item.message, item.guide, item.why))
    return sorted(findings)


def _statements(
    module: cst.Module, rows: tuple[Row, ...] | None, parsed: bytes
) -> StatementMap | None:
    """The statement map generation can take shortcuts by, if ``rows`` pair up."""
    if not rows:
        return None
    try:
        return map_statements(module, rows, parsed)
    except Exception:  # a shortcut never decides the outcome; the whole module does
        return None


def _removed(node: cst.CSTNode, removed: set[str]) -> bool:
    """Whether ``node`` is an import alias the rewrite removed, or an import all of whose
    aliases it removed (its finding is moot)."""
    if not removed:
        return False
    if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        return all(_removed(alias, removed) for alias in node.names)
    if not isinstance(node, cst.ImportAlias):
        return False
    return bound_name(node) in removed


_HUNK = re.compile(r"@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
_CONTEXT = 3


def unified_diff(path: str, before: str, after: str, *, deleted: bool = False) -> str:
    """A unified diff of one file, in the ``a/`` ``b/`` form ``git apply`` accepts; a
    deleted file's goes to ``/dev/null``.

    ``difflib`` is given only the lines from the first change to the last, with their
    context: the lines before and after are the same in both, and its matching costs
    more the more lines it is given.
    """
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start, cut = max(0, head - _CONTEXT), max(0, tail - _CONTEXT)
    lines = difflib.unified_diff(
        old[start : len(old) - cut],
        new[start : len(new) - cut],
        fromfile=f"a/{path.lstrip('/')}",
        tofile="/dev/null" if deleted else f"b/{path.lstrip('/')}",
        n=_CONTEXT,
    )

    def shifted(match: re.Match[str]) -> str:
        first, second = int(match.group(1)) + start, int(match.group(3)) + start
        return f"@@ -{first}{match.group(2) or ''} +{second}{match.group(4) or ''} @@"

    pieces = []
    for line in lines:
        if start and line.startswith("@@"):
            line = _HUNK.sub(shifted, line, count=1)
        pieces.append(line if line.endswith(("\n", "\r")) else f"{line}\n")
    return "".join(pieces)


def migrate_source(
    source: bytes,
    path: str,
    facts: ModuleFacts,
    index: ProjectIndex,
    rule_classes: Sequence[type[Rule]],
    rows: tuple[Row, ...] | None = None,
) -> FileOutcome:
    """Rewrite one module; every problem becomes a finding, never an exception.

    ``rows`` are the module's statement rows, computed here if not given; with none
    (an empty tuple) the module is parsed, placed and generated whole. The rules see
    an outline of the module when statements can be left out; any trouble with the
    outline (it does not parse, a stand-in went missing) sends the module through
    again whole, so the outcome is the one the whole module gives.
    """
    if rows is None:
        rows = _rows(source)
    cut = None
    if rows:
        lines = Lines(source)
        cut = pieces(source, rows, lines)
        relevant = relevance(source, facts, index, rows, lines)
        stand_in = outline(source, rows, relevant, lines)
        if stand_in is not None:
            outcome = _migrate(
                source, stand_in, stand_in.rows, path, facts, index, rule_classes, cut
            )
            if outcome is not None:
                return outcome
    outcome = _migrate(source, None, rows, path, facts, index, rule_classes, cut)
    assert outcome is not None  # only an outline can be given up on
    return outcome


def _rows(source: bytes) -> tuple[Row, ...] | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return statement_rows(tree, source)


def _migrate(
    source: bytes,
    stand_in: Outline | None,
    rows: tuple[Row, ...] | None,
    path: str,
    facts: ModuleFacts,
    index: ProjectIndex,
    rule_classes: Sequence[type[Rule]],
    cut: Pieces | None,
) -> FileOutcome | None:
    """One pass over ``source``, or over its outline (None: the outline did not work).

    ``rows`` are the statement rows of what LibCST parses, if known; ``cut`` is
    ``source`` cut at its top-level statements, if known (see ``syntax``).
    """
    parsed = source if stand_in is None else stand_in.source
    try:
        module = cst.parse_module(parsed)
    except cst.ParserSyntaxError as exc:
        if stand_in is not None:
            return None
        return failure(path, PARSE_ERROR, f"file does not parse: {exc.message}", exc.raw_line)
    except Exception as exc:  # LibCST raises a few other errors on odd input
        if stand_in is not None:
            return None
        return failure(path, PARSE_ERROR, f"file does not parse: {exc!r}")
    context = FileContext(path=path, facts=facts, index=index)
    try:
        skip = stand_in.is_stand_in if stand_in is not None else None
        dispatcher = Dispatcher(context, [rule(context) for rule in rule_classes], skip)
        walked = dispatcher.transform(module)
        removed: set[str] = set()
        final = walked
        changed = dispatcher.changed or bool(context.removed_statements) or context.rewrote
        if changed:
            removed = unused_after_rewrite(context.dropped_imports, source.decode(module.encoding))
            removed |= context.unused_imports
            kept = without_statements(
                walked, module, context.removed_statements, context.added_after
            )
            final = add_imports(drop_imports(kept, removed), context.added_imports)
        pending = [
            item
            for item in context.findings
            if not _removed(item.node, removed)
            and id(item.statement) not in context.removed_statements
        ]
        statements = _statements(module, rows, parsed) if changed or pending else None
        findings = _positions(module, statements, pending, path)
        new_source: bytes | None = source
        if changed:
            code = new_code(module, walked, final, statements, dispatcher.replaced)
            new_source = code.encode(final.encoding)
            if stand_in is not None:
                new_source = stand_in.restore(new_source)
        uses = frozenset[str]()
        if context.count_app_uses:
            plumbing = [part for parts in context.app_plumbing.values() for part in parts]
            uses = app_references(final, context, plumbing)
    except Exception as exc:  # a rule must not stop the run over the rest of the tree
        return failure(path, UNSAFE_REWRITE, f"rewrite failed and the file was left as is: {exc!r}")
    if new_source is None:
        return None
    plumbing_apps = frozenset(context.app_plumbing)
    if new_source == source:
        return FileOutcome(
            path, Status.UNCHANGED, findings, app_uses=uses, app_plumbing=plumbing_apps
        )
    error = syntax_error(source, new_source, cut)
    # A file in newer syntax than this interpreter's is checked by LibCST's parser.
    if error is not None and (rows or not parses(new_source)):
        message = f"the rewrite would not parse ({error.msg}), so the file was left as is"
        return failure(path, UNSAFE_REWRITE, message)
    before = source.decode(module.encoding)
    deleted = context.delete_if_empty and _only_prose(final)
    if deleted:
        new_source = b""
    diff = unified_diff(path, before, new_source.decode(module.encoding), deleted=deleted)
    return FileOutcome(
        path,
        Status.CHANGED,
        findings,
        new_source=new_source,
        diff=diff,
        deleted=deleted,
        app_uses=uses,
        app_plumbing=plumbing_apps,
    )


def without_statements(
    walked: cst.Module,
    module: cst.Module,
    ids: set[int],
    added: dict[int, list[cst.BaseStatement]] | None = None,
) -> cst.Module:
    """``walked`` without the top-level statements whose originals in ``module`` are
    ``ids``, and with the statements ``added`` after their originals (removed or not)."""
    if not ids and not added:
        return walked
    body: list[cst.BaseStatement] = []
    for original, statement in zip(module.body, walked.body, strict=True):
        if id(original) not in ids:
            body.append(statement)
        body.extend((added or {}).get(id(original), ()))
    return walked.with_changes(body=body)


def _only_prose(module: cst.Module) -> bool:
    """Whether ``module`` holds nothing but a docstring and ``__future__`` imports."""
    for position, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            docstring = (
                position == 0
                and isinstance(small, cst.Expr)
                and isinstance(small.value, cst.SimpleString | cst.ConcatenatedString)
            )
            future = (
                isinstance(small, cst.ImportFrom)
                and isinstance(small.module, cst.Name)
                and small.module.value == "__future__"
            )
            if not (docstring or future):
                return False
    return True
