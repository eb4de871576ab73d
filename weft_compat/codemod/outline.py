"""A stand-in for one file's source, with the statements no rule can act on left out.

LibCST costs most of a migration, and its cost follows the amount of code it parses
and walks. Each statement whose text is irrelevant (see ``relevance``) is replaced
by a string literal over the same lines, so the stand-in parses to the same tree
around the statements that matter, at the same lines and columns. After the rewrite
each string is swapped back for the statement it stood for.

Imports, the module's first statement and the first two lines (a docstring, an
encoding declaration), statements sharing a line with another, and ``elif``
branches keep their place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.statements import Lines, Row

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


def outline(
    source: bytes, rows: Sequence[Row], relevant: re.Pattern[bytes], lines: Lines
) -> Outline | None:
    """The stand-in for ``source``, or None when no statement can be left out."""
    if not rows or _MARKER in source:
        return None
    kept: list[Row] = list(rows[: rows[0].size + 1])
    pieces: list[bytes] = []
    originals: list[bytes] = []
    cursor = 0
    position = len(kept)
    while position < len(rows):
        row = rows[position]
        position += 1
        if (
            row.kind in _IMPORTS
            or not row.whole_lines
            or row.line <= _HEAD
            or relevant.search(source, lines.starts[row.line - 1], lines.starts[row.end_line])
        ):
            kept.append(row)
            continue
        position += row.size
        start = lines.starts[row.line - 1] + row.column
        end = lines.starts[row.end_line - 1] + len(lines.text[row.end_line - 1].rstrip(b"\r\n"))
        label = _OPEN + _MARKER + b"%d" % len(originals)
        breaks = b"".join(
            line[len(line.rstrip(b"\r\n")) :]
            for line in lines.text[row.line - 1 : row.end_line - 1]
        )
        pieces += [source[cursor:start], label, breaks, _OPEN]
        originals.append(source[start:end])
        cursor = end
        single = row.line == row.end_line
        end_column = row.column + len(label) + len(_OPEN) if single else len(_OPEN)
        kept.append(Row("Expr", row.line, row.column, row.end_line, end_column, 0, True, False, ()))
    if not originals:
        return None
    pieces.append(source[cursor:])
    return Outline(b"".join(pieces), tuple(kept), tuple(originals))
