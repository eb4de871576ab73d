"""A stand-in for one file's source, with the statements no rule can act on left out.

LibCST costs most of a migration, and its cost follows the amount of code it parses
and walks. Each statement whose text is irrelevant (see ``relevance``) is replaced
by a string literal over the same lines, so the stand-in parses to the same tree
around the statements that matter, at the same lines and columns. After the rewrite
each string is swapped back for the statement it stood for.

Imports, the module's first statement and the first two lines (a docstring, an
encoding declaration), statements sharing a line with another, and ``elif``
branches keep their place. Consecutive statements left out of one block share a
string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.relevance import Relevance
from weft_compat.codemod.rows import Lines, Row

_OPEN = b"'''"
_MARKER = b"weft-compat-outline-"
_STAND_IN = re.compile(re.escape(_OPEN + _MARKER) + rb"(\d+)[\r\n]*'''")
_MARKER_TEXT = (_OPEN + _MARKER).decode()
_HEAD = 2
_IMPORTS = frozenset({"Import", "ImportFrom"})


@dataclass(frozen=True)
class Outline:
    """The stand-in source, its statement rows, and the text each stand-in replaced."""

    source: bytes
    rows: tuple[Row, ...]
    originals: tuple[bytes, ...]

    def is_stand_in(self, statement: cst.SimpleStatementLine) -> bool:
        """Whether ``statement`` is one of the strings standing in for a statement."""
        body = statement.body
        if len(body) != 1:
            return False
        expression = body[0]
        return (
            isinstance(expression, cst.Expr)
            and isinstance(expression.value, cst.SimpleString)
            and expression.value.value.startswith(_MARKER_TEXT)
        )

    def restore(self, code: bytes) -> bytes | None:
        """``code`` (generated from the stand-in) with every statement put back.

        None if a stand-in is missing or repeated, which a rewrite should never cause.
        """
        seen: set[int] = set()

        def put_back(match: re.Match[bytes]) -> bytes:
            number = int(match.group(1))
            seen.add(number)
            return self.originals[number] if number < len(self.originals) else b""

        restored, count = _STAND_IN.subn(put_back, code)
        if count != len(self.originals) or len(seen) != count:
            return None
        return restored


def _blank_between(lines: Lines, after: int, before: int) -> bool:
    """Whether the lines strictly between lines ``after`` and ``before`` hold only blanks
    and comments."""
    for text in lines.text[after : before - 1]:
        stripped = text.strip()
        if stripped and not stripped.startswith(b"#"):
            return False
    return True


def outline(
    source: bytes, rows: Sequence[Row], relevant: Relevance, lines: Lines
) -> Outline | None:
    """The stand-in for ``source``, or None when no statement can be left out.

    A run of statements left out one after another in the same block (the same column,
    nothing but blank lines and comments between them) shares one stand-in: the
    block's structure and the lines of what follows are the same, and the parser has
    one string to make where it had one statement each.
    """
    if not rows or _MARKER in source:
        return None
    starts = lines.starts

    def cuttable(row: Row) -> bool:
        return not (
            row.kind in _IMPORTS
            or not row.whole_lines
            or row.line <= _HEAD
            or relevant.within(starts[row.line - 1], starts[row.end_line])
        )

    kept: list[Row] = list(rows[: rows[0].size + 1])
    pieces: list[bytes] = []
    originals: list[bytes] = []
    cursor = 0
    position = len(kept)
    while position < len(rows):
        row = rows[position]
        position += 1
        if not cuttable(row):
            kept.append(row)
            continue
        position += row.size
        last = row
        while position < len(rows):
            following = rows[position]
            if (
                following.column != row.column
                or following.line <= last.end_line
                or not cuttable(following)
                or not _blank_between(lines, last.end_line, following.line)
            ):
                break
            last = following
            position += following.size + 1
        start = starts[row.line - 1] + row.column
        end = starts[last.end_line - 1] + len(lines.text[last.end_line - 1].rstrip(b"\r\n"))
        label = _OPEN + _MARKER + b"%d" % len(originals)
        breaks = b"".join(
            line[len(line.rstrip(b"\r\n")) :]
            for line in lines.text[row.line - 1 : last.end_line - 1]
        )
        pieces += [source[cursor:start], label, breaks, _OPEN]
        originals.append(source[start:end])
        cursor = end
        single = row.line == last.end_line
        end_column = row.column + len(label) + len(_OPEN) if single else len(_OPEN)
        stand_in = Row("Expr", row.line, row.column, last.end_line, end_column, 0, True, False, ())
        kept.append(stand_in)
    if not originals:
        return None
    pieces.append(source[cursor:])
    return Outline(b"".join(pieces), tuple(kept), tuple(originals))
