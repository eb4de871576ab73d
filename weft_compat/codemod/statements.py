"""Where each statement of a module sits in its source.

``ast`` knows every statement's line and column but keeps no formatting; LibCST keeps
the formatting but no positions. ``statement_rows`` records, from ``ast``, one row
per statement in source order; the indexing pass does this while it has the tree,
and the rows travel with the file's facts.

Both parsers see the same statements in the same order (a line ``a; b`` holds two,
an ``elif`` is one more ``If``), so ``map_statements`` pairs LibCST's statements
with the rows. The pairing is checked statement by statement (the kinds must
agree); where it does not hold there is no map, and callers generate code and
positions for the whole module instead. With the map, a statement can be generated
on its own and placed in the file, and a statement line the rewrite left alone can
be copied from the source.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import libcst as cst

from weft_compat.codemod.facts import statement_blocks

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
# What may follow the last statement of a line: spaces, a comment, the line break.
_LINE_TAIL = re.compile(rb"[ \t]*(?:#[^\r\n]*)?(?:\r\n|\n|\r)?")
_BLANKS = frozenset(b" \t")


class Lines:
    """Line boundaries of a source, as ``ast`` numbers its lines."""

    def __init__(self, source: bytes) -> None:
        self.text = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.text:
            self.starts.append(self.starts[-1] + len(line))

    def tail_is_clean(self, line: int, column: int) -> bool:
        """Whether only spaces, a comment and the line break follow ``column``."""
        return _LINE_TAIL.fullmatch(self.text[line - 1], column) is not None


def offsets_agree(source: bytes) -> bool:
    """Whether ``ast``'s byte columns and line numbers index ``source`` itself.

    They do for UTF-8 (and plain ASCII) sources whose line breaks ``splitlines``
    and the tokenizer split alike: no lone carriage returns, no byte order mark.
    """
    if source.count(b"\r") != source.count(b"\r\n") or source.startswith(b"\xef\xbb\xbf"):
        return False
    if source.isascii():
        return True
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        return False
    return encoding == "utf-8"


class Row(NamedTuple):
    """One statement, as ``ast`` places it; lines are 1-based, columns are bytes."""

    kind: str
    # The first token (a decorator's ``@``); column -1 when that is ambiguous.
    line: int
    column: int
    end_line: int
    end_column: int
    # How many statements nest inside it (they are the rows that follow).
    size: int
    # Whether the statement has its lines to itself: nothing before it but
    # indentation, nothing after it but a comment, and it is no ``elif``.
    whole_lines: bool
    elif_: bool
    # The plain names an assignment binds.
    targets: tuple[str, ...]


def _is_elif(block: list[ast.stmt], lines: Lines) -> bool:
    branch = block[0]
    if len(block) != 1 or not isinstance(branch, ast.If):
        return False
    return lines.text[branch.lineno - 1].startswith(b"elif", branch.col_offset)


def _row(statement: ast.stmt, size: int, elif_: bool, lines: Lines) -> Row:
    line, column = statement.lineno, statement.col_offset
    decorators = getattr(statement, "decorator_list", None)
    if decorators:
        line = min(decorator.lineno for decorator in decorators)
        text = lines.text[line - 1]
        column = len(text) - len(text.lstrip(b" \t"))
        if not text.startswith(b"@", column):
            column = -1
    end_line = statement.end_lineno or statement.lineno
    end_column = statement.end_col_offset or 0
    indent = lines.text[statement.lineno - 1][: statement.col_offset]
    whole_lines = (
        column >= 0
        and not elif_
        and all(byte in _BLANKS for byte in indent)
        and lines.tail_is_clean(end_line, end_column)
    )
    targets: tuple[str, ...] = ()
    if isinstance(statement, ast.Assign):
        targets = tuple(target.id for target in statement.targets if isinstance(target, ast.Name))
    kind = type(statement).__name__
    return Row(kind, line, column, end_line, end_column, size, whole_lines, elif_, targets)


def statement_rows(tree: ast.Module, source: bytes) -> tuple[Row, ...] | None:
    """A row per statement of ``tree`` in source order; None if offsets would not agree."""
    if not offsets_agree(source):
        return None
    lines = Lines(source)
    rows: list[Row | None] = []

    def add(statement: ast.stmt, elif_: bool) -> None:
        position = len(rows)
        rows.append(None)
        for block in statement_blocks(statement):
            if (
                isinstance(statement, ast.If)
                and block is statement.orelse
                and _is_elif(block, lines)
            ):
                add(block[0], True)
            else:
                for child in block:
                    add(child, False)
        rows[position] = _row(statement, len(rows) - position - 1, elif_, lines)

    for statement in tree.body:
        add(statement, False)
    return tuple(row for row in rows if row is not None)


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
