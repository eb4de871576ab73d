"""Where each statement of a module sits in its source, as ``ast`` places it.

``ast`` knows every statement's line and column but keeps no formatting. The indexing
pass records, while it has the tree, one ``Row`` per statement in source order, and
the rows travel with the file's facts: the rewrite outlines the file by them
(``outline``), pairs them with LibCST's statements (``statements``) and checks its
result by them (``syntax``). Nothing here needs LibCST, so the indexing pass runs
without it.
"""

from __future__ import annotations

import ast
import io
import tokenize
from itertools import accumulate
from typing import NamedTuple


class Lines:
    """Line boundaries of a source, as ``ast`` numbers its lines."""

    def __init__(self, source: bytes) -> None:
        self.text = source.splitlines(keepends=True)
        self.starts = [0, *accumulate(map(len, self.text))]

    def tail_is_clean(self, line: int, column: int) -> bool:
        """Whether only spaces, a comment and the line break follow ``column``."""
        tail = self.text[line - 1][column:].rstrip(b"\r\n").lstrip(b" \t")
        return not tail or tail.startswith(b"#")


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


# Rows are made by the hundred thousand; tuple's own constructor skips the Python-level
# one of a named tuple.
_new_row = tuple.__new__

# The statement lists of each compound statement, in source order.
_BLOCKS: dict[type[ast.stmt], tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.TryStar: ("body", "handlers", "orelse", "finalbody"),
    ast.Match: ("cases",),
}
_DECORATED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _blocks(statement: ast.stmt, fields: tuple[str, ...]) -> list[list[ast.stmt]]:
    blocks: list[list[ast.stmt]] = []
    for name in fields:
        value = getattr(statement, name)
        if name in ("handlers", "cases"):
            blocks += [part.body for part in value if part.body]
        elif value:
            blocks.append(value)
    return blocks


def statement_rows(
    tree: ast.Module, source: bytes, lines: Lines | None = None
) -> tuple[Row, ...] | None:
    """A row per statement of ``tree`` in source order; None if offsets would not agree.

    ``lines`` are ``source``'s, if made already (and its offsets found to agree).
    """
    if lines is None:
        if not offsets_agree(source):
            return None
        lines = Lines(source)
    text = lines.text
    rows: list[Row | None] = []

    def add(statement: ast.stmt, elif_: bool) -> None:
        position = len(rows)
        rows.append(None)
        fields = _BLOCKS.get(type(statement))
        if fields is not None:
            for block in _blocks(statement, fields):
                branch = block[0]
                if (
                    isinstance(statement, ast.If)
                    and block is statement.orelse
                    and len(block) == 1
                    and type(branch) is ast.If
                    and text[branch.lineno - 1].startswith(b"elif", branch.col_offset)
                ):
                    add(branch, True)
                else:
                    for child in block:
                        add(child, False)
        start_line, start_column = statement.lineno, statement.col_offset
        line, column = start_line, start_column
        if isinstance(statement, _DECORATED) and statement.decorator_list:
            line = min(decorator.lineno for decorator in statement.decorator_list)
            first = text[line - 1]
            column = len(first) - len(first.lstrip(b" \t"))
            if not first.startswith(b"@", column):
                column = -1
        end_line = statement.end_lineno or start_line
        end_column = statement.end_col_offset or 0
        whole_lines = (
            column >= 0
            and not elif_
            and not text[start_line - 1][:start_column].strip(b" \t")
            and lines.tail_is_clean(end_line, end_column)
        )
        targets: tuple[str, ...] = ()
        if isinstance(statement, ast.Assign):
            names = statement.targets
            if len(names) == 1:  # most assignments; no generator to make
                only = names[0]
                targets = (only.id,) if isinstance(only, ast.Name) else ()
            else:
                targets = tuple(name.id for name in names if isinstance(name, ast.Name))
        size = len(rows) - position - 1
        rows[position] = _new_row(
            Row,
            (
                type(statement).__name__,
                line,
                column,
                end_line,
                end_column,
                size,
                whole_lines,
                elif_,
                targets,
            ),
        )

    for statement in tree.body:
        add(statement, False)
    return tuple(row for row in rows if row is not None)
