"""Whether a rewritten module parses, parsing only the top-level statements that changed.

A rewrite is checked to parse before it is written. Parsing the whole result costs about
as much as indexing the file did, though a rewrite leaves most top-level statements as
they were. The original source parsed, so each of its top-level statements, with the
comments and blank lines after it, parses on its own: it starts a line at column 0
with no bracket or string open, and Python's grammar (as ``ast.parse`` checks it) asks
nothing of what surrounds a top-level statement. A result made of such original pieces,
each ending a line, and of other text that parses on its own between them, therefore
parses as a whole; only the other text is parsed. Should that fail, the whole result is
parsed, so the error reported is the one a whole parse gives.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from weft_compat.codemod.rows import Lines, Row

# How many of the following original pieces to look for where the result stops
# matching the original; past that the rest is parsed.
_LOOKAHEAD = 16
_BREAKS = b"\r\n"


@dataclass(frozen=True)
class Pieces:
    """A source cut at its top-level statements: each piece's text, and for a piece
    holding one statement, the position of its row (None for the rest)."""

    texts: tuple[bytes, ...]
    rows: tuple[int | None, ...]
    statements: Sequence[Row]
    lines: Lines


def pieces(source: bytes, rows: Sequence[Row], lines: Lines) -> Pieces | None:
    """``source`` cut into pieces; a statement sharing a line with the one before, or
    whose start is unclear, joins that one's piece. None without statements."""
    if not rows:
        return None
    starts: list[int] = []
    owners: list[int | None] = []
    position = 0
    previous_end = 0
    while position < len(rows):
        row = rows[position]
        if row.column == 0 and row.line > previous_end:
            starts.append(lines.starts[row.line - 1])
            owners.append(position)
        elif owners:
            owners[-1] = None  # the piece holds more than one statement
        previous_end = row.end_line
        position += row.size + 1
    if not starts or starts[0] > 0:
        starts.insert(0, 0)
        owners.insert(0, None)
    bounds = [*starts, len(source)]
    texts = tuple(source[a:b] for a, b in pairwise(bounds))
    return Pieces(texts, tuple(owners), rows, lines)


def _at_line_start(text: bytes, position: int) -> bool:
    return position == 0 or text[position - 1] in _BREAKS


def _find(new: bytes, piece: bytes, start: int) -> int:
    """Where ``piece`` next occurs in ``new`` from ``start`` at the start of a line."""
    found = new.find(piece, start)
    while found >= 0 and not _at_line_start(new, found):
        found = new.find(piece, found + 1)
    return found


# A span of the result that is not an original piece: its start and end in the result,
# and the original pieces it stands where (first, last), or None when it runs to the end.
Span = tuple[int, int, int, int | None]


def _changed(pieces: Sequence[bytes], new: bytes) -> list[Span]:
    """The spans of ``new`` that are not original pieces, in order."""
    # A piece not ending a line would run into whatever follows it.
    whole = [piece.endswith((b"\n", b"\r")) for piece in pieces]
    spans: list[Span] = []
    cursor = 0
    index = 0
    while index < len(pieces) and cursor < len(new):
        piece = pieces[index]
        end = cursor + len(piece)
        if new.startswith(piece, cursor) and (whole[index] or end == len(new)):
            cursor = end
            index += 1
            continue
        resumed = -1
        for later in range(index + 1, min(index + 1 + _LOOKAHEAD, len(pieces))):
            if not whole[later]:
                continue
            resumed = _find(new, pieces[later], cursor)
            if resumed >= 0:
                break
        if resumed < 0:
            break
        if resumed > cursor:
            spans.append((cursor, resumed, index, later - 1))
        cursor = resumed
        index = later
    if cursor < len(new):
        spans.append((cursor, len(new), index, None))
    return spans


def _utf8(source: bytes, new: bytes) -> bool:
    """Whether ``new`` decodes as UTF-8 when read as a whole file."""
    if new.isascii():
        return True
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError:
        return False
    return encoding == "utf-8"


# Statements whose header can be checked with a stub body: they have no ``else``,
# ``except`` or ``case`` clauses after it, whose place a new header could change.
_HEADED = frozenset({"FunctionDef", "AsyncFunctionDef", "ClassDef", "With", "AsyncWith"})


def _dedent(lines: Sequence[bytes], indent: bytes) -> bytes | None:
    """``lines`` without ``indent`` before each; None if a line that is not blank lacks it."""
    kept = []
    for line in lines:
        if not line.strip():
            kept.append(line.lstrip(b" \t"))
        elif line.startswith(indent):
            kept.append(line[len(indent) :])
        else:
            return None
    return b"".join(kept)


class _Narrowing:
    """One changed piece, checked statement by statement: the original piece, its
    statement rows, and the result's lines, which differ from the original's only in
    the given line ranges (lines after a range move by ``delta``)."""

    def __init__(self, pieces: Pieces, new: Sequence[bytes], first_line: int, delta: int):
        self.rows = pieces.statements
        self.text = pieces.lines.text
        self.new = new
        self.first_line = first_line
        self.delta = delta

    def _indent(self, at: int) -> bytes:
        row = self.rows[at]
        return self.text[row.line - 1][: row.column]

    def _new_lines(self, start: int, end: int) -> Sequence[bytes]:
        """The result's lines ``start`` to ``end`` (the original's numbers, 1-based)."""
        return self.new[start - self.first_line : end + self.delta - self.first_line + 1]

    def _header(self, at: int, lo: int, hi: int) -> bool:
        """Whether the changed header of statement ``at`` parses over a stub body."""
        row, child = self.rows[at], self.rows[at + 1]
        if row.kind not in _HEADED or child.column < 0:
            return False
        header = self._new_lines(row.line, child.line - 1)
        if not header or header[-1].rstrip(b"\r\n").endswith(b"\\"):
            return False  # a continuation would join the stub to the header
        indent, inner = self._indent(at), self._indent(at + 1)
        text = _dedent(header, indent)
        if text is None or not inner.startswith(indent):
            return False
        return _parses(text + inner[len(indent) :] + b"pass\n")

    def check(self, at: int, lo: int, hi: int) -> bool:
        """Whether statement ``at``, which holds lines ``lo`` to ``hi``, parses as
        rewritten: its changed header alone, or the statement in it holding the lines,
        or else itself."""
        row = self.rows[at]
        if not row.line <= lo <= hi <= row.end_line:
            return False
        if row.size:
            first = self.rows[at + 1]
            if hi < first.line:
                if self._header(at, lo, hi):
                    return True
            else:
                child = at + 1
                while child <= at + row.size:
                    inner = self.rows[child]
                    if inner.line <= lo and hi <= inner.end_line:
                        if inner.whole_lines and not inner.elif_ and self.check(child, lo, hi):
                            return True
                        break
                    child += inner.size + 1
        text = _dedent(self._new_lines(row.line, row.end_line), self._indent(at))
        # In a block, a statement must stay at least one: a block cannot go empty.
        return text is not None and _parses(text, at_least=1 if row.column else 0)


def narrowed(pieces: Pieces, index: int, new: bytes) -> bool:
    """Whether ``new``, standing where piece ``index`` stood, parses, parsing only the
    statements in it that changed; False when that cannot tell.

    A statement of the piece is checked on its own, its indentation taken off, when
    every line of it is rewritten at that indentation: it stays a statement of the same
    block. A changed ``def``, ``class`` or ``with`` header is checked with ``pass`` for
    its body, at the body's indentation.
    """
    owner = pieces.rows[index]
    if owner is None:
        return False
    old = pieces.texts[index].splitlines(keepends=True)
    lines = new.splitlines(keepends=True)
    first_line = pieces.statements[owner].line
    ranges: list[tuple[int, int]] = []
    if len(old) == len(lines):
        for number, (before, after) in enumerate(zip(old, lines, strict=True)):
            if before == after:
                continue
            if ranges and ranges[-1][1] == number - 1:
                ranges[-1] = (ranges[-1][0], number)
            else:
                ranges.append((number, number))
    else:
        prefix = 0
        while prefix < min(len(old), len(lines)) and old[prefix] == lines[prefix]:
            prefix += 1
        suffix = 0
        while (
            suffix < min(len(old), len(lines)) - prefix and old[-1 - suffix] == lines[-1 - suffix]
        ):
            suffix += 1
        if prefix + suffix >= len(old):
            return False  # lines only added: no statement of the original holds them
        ranges.append((prefix, len(old) - suffix - 1))
    narrowing = _Narrowing(pieces, lines, first_line, len(lines) - len(old))
    return all(narrowing.check(owner, first_line + lo, first_line + hi) for lo, hi in ranges)


def _parses(text: bytes, at_least: int = 0) -> bool:
    """Whether ``text`` parses, to at least ``at_least`` statements."""
    try:
        # As text, so a comment in it is never read as its coding.
        return len(ast.parse(text.decode("utf-8")).body) >= at_least
    except (SyntaxError, ValueError):
        return False


def _cuts(old: Sequence[bytes], new: Sequence[bytes], bounds: Sequence[int]) -> list[int | None]:
    """Where each line ``bounds`` of ``old`` falls in ``new``, when it borders lines the
    two share (None when it does not)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    equal = [block for block in matcher.get_matching_blocks() if block.size]
    cuts: list[int | None] = []
    for bound in bounds:
        cut = None
        for block in equal:
            if block.a <= bound <= block.a + block.size:
                cut = block.b + bound - block.a
                break
        cuts.append(cut)
    return cuts


def _span_parses(pieces: Pieces, text: bytes, first: int, last: int | None) -> bool:
    """Whether ``text``, standing where pieces ``first`` to ``last`` stood, parses.

    The text is cut where the pieces were cut, where the cut can be placed by lines
    they share, and each part is checked as a rewrite of its piece (or pieces): parts
    that parse on their own make a whole that does, since each starts a line at the top
    level.
    """
    last = len(pieces.texts) - 1 if last is None else last
    if first > last:
        return _parses(text)  # added after the last piece
    lines = text.splitlines(keepends=True)
    counts = [len(pieces.texts[at].splitlines()) for at in range(first, last + 1)]
    bounds = [sum(counts[:index]) for index in range(len(counts) + 1)]
    if bounds[-1] == len(lines):
        cuts: list[int | None] = list(bounds)
    else:
        old = [line for at in range(first, last + 1) for line in pieces.texts[at].splitlines(True)]
        cuts = _cuts(old, lines, bounds)
    placed, start = 0, 0
    for index in range(1, len(cuts)):
        end = len(lines) if index == len(cuts) - 1 else cuts[index]
        if end is None or end < placed:
            continue
        part = b"".join(lines[placed:end])
        own = first + start
        if index - start == 1 and part == pieces.texts[own]:
            pass
        elif not ((index - start == 1 and narrowed(pieces, own, part)) or _parses(part)):
            return False
        placed, start = end, index
    return True


def syntax_error(source: bytes, new: bytes, pieces: Pieces | None) -> SyntaxError | None:
    """Why ``new``, a rewrite of ``source`` (which parses), does not parse; None if it
    does. ``pieces`` are ``source``'s top-level statements; without them the whole of
    ``new`` is parsed."""
    if pieces is not None and _utf8(source, new):
        changed = _changed(pieces.texts, new)
        if all(
            _span_parses(pieces, new[start:end], first, last) for start, end, first, last in changed
        ):
            return None
    try:
        ast.parse(new)
    except SyntaxError as exc:
        return exc
    return None
