"""Where each of LibCST's statements of a module sits in its source.

LibCST keeps the formatting but no positions; ``ast`` knows every statement's line
and column, and the indexing pass records them as rows (``rows``).

Both parsers see the same statements in the same order (a line ``a; b`` holds two,
an ``elif`` is one more ``If``), so ``map_statements`` pairs LibCST's statements
with the rows. The pairing is checked statement by statement (the kinds must
agree); where it does not hold there is no map, and callers generate code and
positions for the whole module instead. With the map, a statement can be generated
on its own and placed in the file, and a statement line the rewrite left alone can
be copied from the source.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import libcst as cst

from weft_compat.codemod.rows import Lines, Row

# LibCST's statement kinds and the ``ast`` kinds they parse the same text to.
_KINDS: dict[type[cst.CSTNode], frozenset[str]] = {
    cst.Pass: frozenset({"Pass"}),
    cst.Break: frozenset({"Break"}),
    cst.Continue: frozenset({"Continue"}),
    cst.Return: frozenset({"Return"}),
    cst.Expr: frozenset({"Expr"}),
    cst.Assert: frozenset({"Assert"}),
    cst.Import: frozenset({"Import"}),
    cst.ImportFrom: frozenset({"ImportFrom"}),
    cst.Assign: frozenset({"Assign"}),
    cst.AugAssign: frozenset({"AugAssign"}),
    cst.AnnAssign: frozenset({"AnnAssign"}),
    cst.Raise: frozenset({"Raise"}),
    cst.Global: frozenset({"Global"}),
    cst.Nonlocal: frozenset({"Nonlocal"}),
    cst.Del: frozenset({"Delete"}),
    cst.TypeAlias: frozenset({"TypeAlias"}),
    cst.FunctionDef: frozenset({"FunctionDef", "AsyncFunctionDef"}),
    cst.ClassDef: frozenset({"ClassDef"}),
    cst.If: frozenset({"If"}),
    cst.For: frozenset({"For", "AsyncFor"}),
    cst.While: frozenset({"While"}),
    cst.With: frozenset({"With", "AsyncWith"}),
    cst.Try: frozenset({"Try"}),
    cst.TryStar: frozenset({"TryStar"}),
    cst.Match: frozenset({"Match"}),
}


@dataclass(frozen=True)
class Place:
    """Where a statement is: its first token's line and column, its indentation, and
    the line it ends on."""

    line: int
    column: int
    indent: str
    end_line: int


@dataclass
class StatementMap:
    """Each LibCST statement's place in ``text``, the source the module was parsed from."""

    text: str
    places: dict[int, Place] = field(default_factory=dict)
    elifs: set[int] = field(default_factory=set)

    @cached_property
    def line_starts(self) -> list[int]:
        """The character offset of each line's start (and of the text's end)."""
        starts = [0]
        find = self.text.find
        position = find("\n")
        while position >= 0:
            starts.append(position + 1)
            position = find("\n", position + 1)
        if starts[-1] != len(self.text):
            starts.append(len(self.text))
        return starts


def _cst_block(block: cst.BaseSuite) -> Iterator[cst.CSTNode]:
    if isinstance(block, cst.SimpleStatementSuite):
        yield from block.body
        return
    assert isinstance(block, cst.IndentedBlock)
    for statement in block.body:
        yield from _cst_statement(statement)


def _cst_statement(statement: cst.BaseStatement) -> Iterator[cst.CSTNode]:
    """``statement`` and every statement in it, in source order; a line's small ones."""
    if isinstance(statement, cst.SimpleStatementLine):
        yield from statement.body
        return
    yield statement
    if isinstance(statement, cst.Match):
        for case in statement.cases:
            yield from _cst_block(case.body)
        return
    assert isinstance(statement, cst.BaseCompoundStatement)
    yield from _cst_block(statement.body)
    for handler in getattr(statement, "handlers", ()):
        yield from _cst_block(handler.body)
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If):
        yield from _cst_statement(orelse)
    elif orelse is not None:
        yield from _cst_block(orelse.body)
    finalbody = getattr(statement, "finalbody", None)
    if finalbody is not None:
        yield from _cst_block(finalbody.body)


def map_statements(module: cst.Module, rows: Sequence[Row], source: bytes) -> StatementMap | None:
    """Pair ``module``'s statements with ``rows`` (both from ``source``)."""
    lines = Lines(source)
    result = StatementMap(source.decode("utf-8"))
    pairs = (node for statement in module.body for node in _cst_statement(statement))
    for row in rows:
        node = next(pairs, None)
        if node is None or row.column < 0 or row.kind not in _KINDS.get(type(node), ()):
            return None
        raw = lines.text[row.line - 1]
        prefix = raw[: row.column]
        if b"\f" in prefix:
            return None  # a form feed resets the indentation the tokenizer counts
        indent = raw[: len(raw) - len(raw.lstrip(b" \t"))].decode("utf-8")
        place = Place(row.line, len(prefix.decode("utf-8")), indent, row.end_line)
        result.places[id(node)] = place
        if row.elif_:
            result.elifs.add(id(node))
    if next(pairs, None) is not None:
        return None
    return result
