"""A stand-in for one file's source, with the statements no rule can act on left out.

LibCST costs most of a migration, and its cost follows the amount of code it parses
and walks. Each statement whose text is irrelevant (see ``relevance``) is replaced
by a string literal over the same lines, so the stand-in parses to the same tree
around the statements that matter, at the same lines and columns. After the rewrite
each string is swapped back for the statement it stood for.

The module's first statement and the first two lines (a docstring, an encoding
declaration), ``__future__`` imports, statements sharing a line with another, and
``elif`` branches keep their place. Consecutive statements left out of one block share
a string. Top-level imports are left out as an import (``import weft_compat_outline_N``
continued over their lines), so the block of imports leading the module still leads
it, and only when no statement holding relevant text mentions a name they bind, so
that every import a rewrite may drop is there.
"""

from __future__ import annotations

import keyword
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.relevance import Relevance
from weft_compat.codemod.rows import Lines, Row

_OPEN = b"'''"
_MARKER = b"weft-compat-outline-"
_MARKER_TEXT = (_OPEN + _MARKER).decode()
# Top-level imports are left out as an import spanning their lines by backslashes, so
# the block of imports leading the module, after which a rewrite adds its own
# (``imports``), still leads it, at the cost of one short import.
_IMPORT_NAME = b"weft_compat_outline_"
_IMPORT_OPEN = b"import " + _IMPORT_NAME
_STAND_IN = re.compile(
    re.escape(_OPEN + _MARKER)
    + rb"(\d+)[\r\n]*'''|"
    + re.escape(_IMPORT_OPEN)
    + rb"(\d+)(?:\\(?:\r\n|\r|\n))*"
)
_HEAD = 2
_IMPORTS = frozenset({"Import", "ImportFrom"})
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_IMPORT_KEYWORD = re.compile(rb"\bimport\b")
_END = 1 << 62
_KEYWORDS = frozenset(word.encode() for word in keyword.kwlist)


@dataclass(frozen=True)
class Outline:
    """The stand-in source, its statement rows, and the text each stand-in replaced."""

    source: bytes
    rows: tuple[Row, ...]
    originals: tuple[bytes, ...]

    def is_stand_in(self, statement: cst.SimpleStatementLine) -> bool:
        """Whether ``statement`` is one of the stand-ins for left-out statements."""
        body = statement.body
        if len(body) != 1:
            return False
        small = body[0]
        if isinstance(small, cst.Import):
            name = small.names[0].name
            return isinstance(name, cst.Name) and name.value.startswith(_IMPORT_NAME.decode())
        return (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.SimpleString)
            and small.value.value.startswith(_MARKER_TEXT)
        )

    def restore(self, code: bytes) -> bytes | None:
        """``code`` (generated from the stand-in) with every statement put back.

        None if a stand-in is missing or repeated, which a rewrite should never cause.
        """
        seen: set[int] = set()

        def put_back(match: re.Match[bytes]) -> bytes:
            number = int(match.group(1) or match.group(2))
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


# A run of left-out statements: the positions of its first and last rows, and whether
# it is a run of top-level imports.
Run = tuple[int, int, bool]


class _Planner:
    """Which statements of one source to leave out, in runs."""

    def __init__(
        self, source: bytes, rows: Sequence[Row], relevant: Relevance, lines: Lines
    ) -> None:
        self.source = source
        self.rows = rows
        self.relevant = relevant
        self.lines = lines
        self.top: list[int] = []
        position = 0
        while position < len(rows):
            self.top.append(position)
            position += rows[position].size + 1
        self._top = frozenset(self.top)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """The text of rows ``first`` to ``last``: from the first's first token to the
        end of the last's last line (its comment included)."""
        row, end = self.rows[first], self.rows[last].end_line
        starts, text = self.lines.starts, self.lines.text
        start = starts[row.line - 1] + row.column
        return start, starts[end - 1] + len(text[end - 1].rstrip(b"\r\n"))

    def irrelevant(self, row: Row) -> bool:
        starts = self.lines.starts
        return (
            row.whole_lines
            and row.line > _HEAD
            and not self.relevant.within(starts[row.line - 1], starts[row.end_line])
        )

    def joins(self, first: int, last: int, following: int) -> bool:
        """Whether row ``following`` can join the run ``first``..``last``: the same block
        (the same column, nothing but blank lines and comments between)."""
        row, previous = self.rows[following], self.rows[last]
        return (
            row.column == self.rows[first].column
            and row.line > previous.end_line
            and _blank_between(self.lines, previous.end_line, row.line)
        )

    def _top_import(self, at: int) -> bool:
        return at in self._top and self.rows[at].kind in _IMPORTS

    def runs(self) -> list[Run]:
        rows = self.rows
        runs: list[Run] = []
        imports: list[int] = []
        position = rows[0].size + 1
        while position < len(rows):
            at = position
            row = rows[at]
            position += 1
            if self._top_import(at):
                start = self.lines.starts[row.line - 1]
                if self.irrelevant(row) and not self.source.startswith(b"from __future__", start):
                    imports.append(at)
                continue
            if not self.irrelevant(row):
                continue
            position += row.size
            last = at
            while (
                position < len(rows)
                and not self._top_import(position)
                and self.irrelevant(rows[position])
                and self.joins(at, last, position)
            ):
                last = position
                position += rows[position].size + 1
            runs.append((at, last, False))
        if imports:
            runs += self._import_runs(imports)
        return sorted(runs)

    def _mentioned(self) -> set[bytes]:
        """The words of the statements that hold relevant text, a compound statement's
        own header only (where a child holds the text, the child is that statement)."""
        rows, source, starts = self.rows, self.source, self.lines.starts
        spans = [(starts[row.line - 1] + max(row.column, 0), starts[row.end_line]) for row in rows]
        owners: set[int] = set()
        for offset in self.relevant.offsets():
            position = bisect_right(spans, (offset, _END)) - 1
            while position >= 0 and spans[position][1] <= offset:
                position -= 1
            if position >= 0:
                owners.add(position)
        words: set[bytes] = set()
        for at in owners:
            start, end = spans[at]
            if rows[at].size:
                end = min(end, spans[at + 1][0])
            words.update(_IDENTIFIER.findall(source, start, end))
        return words - _KEYWORDS

    def _import_runs(self, candidates: list[int]) -> list[Run]:
        """Runs of the top-level ``candidates`` whose bound names no statement holding
        relevant text mentions.

        A rewrite acts on relevant text only, so it drops an import only once it has
        rewritten away a mention of a name it binds in such a statement; an import
        binding a word one of them mentions stays.
        """
        source, rows = self.source, self.rows
        mentioned = self._mentioned()
        found: list[Run] = []
        # The stand-in's last line is left empty to end it; the file's last has no break.
        unbroken = not source.endswith((b"\n", b"\r"))
        for at in candidates:
            if unbroken and rows[at].end_line == len(self.lines.text):
                continue
            start, end = self.span(at, at)
            if rows[at].kind == "ImportFrom":
                # The names after ``import``; the module's words bind nothing.
                keyword = _IMPORT_KEYWORD.search(source, start, end)
                start = keyword.end() if keyword is not None else start
            if not mentioned.isdisjoint(_IDENTIFIER.findall(source, start, end)):
                continue
            if found and found[-1][1] == at - 1 and self.joins(found[-1][0], at - 1, at):
                found[-1] = (found[-1][0], at, True)
            else:
                found.append((at, at, True))
        return found


def outline(
    source: bytes, rows: Sequence[Row], relevant: Relevance, lines: Lines
) -> Outline | None:
    """The stand-in for ``source``, or None when no statement can be left out.

    A run of statements left out one after another in the same block (the same column,
    nothing but blank lines and comments between them) shares one stand-in: the
    block's structure and the lines of what follows are the same, and the parser has
    one string to make where it had one statement each.
    """
    if not rows or _MARKER in source or _IMPORT_NAME in source:
        return None
    planner = _Planner(source, rows, relevant, lines)
    runs = planner.runs()
    if not runs:
        return None
    text = lines.text
    kept: list[Row] = []
    pieces: list[bytes] = []
    originals: list[bytes] = []
    cursor = 0
    position = 0
    for first, last, is_import in runs:
        kept += rows[position:first]
        position = last + rows[last].size + 1
        row, end_line = rows[first], rows[last].end_line
        start, end = planner.span(first, last)
        number = b"%d" % len(originals)
        breaks = [line[len(line.rstrip(b"\r\n")) :] for line in text[row.line - 1 : end_line - 1]]
        if is_import:
            # Each line but the last ends in a backslash; the last is left empty.
            label = _IMPORT_OPEN + number
            pieces += [source[cursor:start], label, *(b"\\" + brk for brk in breaks)]
            end_column = row.column + len(label) if row.line == end_line else 0
            kind = "Import"
        else:
            label = _OPEN + _MARKER + number
            pieces += [source[cursor:start], label, *breaks, _OPEN]
            single = row.line == end_line
            end_column = row.column + len(label) + len(_OPEN) if single else len(_OPEN)
            kind = "Expr"
        originals.append(source[start:end])
        cursor = end
        kept.append(Row(kind, row.line, row.column, end_line, end_column, 0, True, False, ()))
    kept += rows[position:]
    pieces.append(source[cursor:])
    return Outline(b"".join(pieces), tuple(kept), tuple(originals))
