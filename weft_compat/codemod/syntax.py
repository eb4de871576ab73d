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
import io
import tokenize
from collections.abc import Sequence
from itertools import pairwise

from weft_compat.codemod.rows import Lines, Row

# How many of the following original pieces to look for where the result stops
# matching the original; past that the rest is parsed.
_LOOKAHEAD = 16
_BREAKS = b"\r\n"


def piece_starts(rows: Sequence[Row], lines: Lines) -> list[int]:
    """Where the top-level statements of a source start, as byte offsets; a statement
    sharing a line with the one before, or whose start is unclear, joins that one."""
    starts: list[int] = []
    position = 0
    previous_end = 0
    while position < len(rows):
        row = rows[position]
        if row.column == 0 and row.line > previous_end:
            starts.append(lines.starts[row.line - 1])
        previous_end = row.end_line
        position += row.size + 1
    return starts


def _at_line_start(text: bytes, position: int) -> bool:
    return position == 0 or text[position - 1] in _BREAKS


def _find(new: bytes, piece: bytes, start: int) -> int:
    """Where ``piece`` next occurs in ``new`` from ``start`` at the start of a line."""
    found = new.find(piece, start)
    while found >= 0 and not _at_line_start(new, found):
        found = new.find(piece, found + 1)
    return found


def _changed(source: bytes, new: bytes, starts: Sequence[int]) -> list[tuple[int, int]]:
    """The spans of ``new`` that are not original pieces, in order."""
    bounds = [0, *(start for start in starts if start > 0), len(source)]
    pieces = [source[a:b] for a, b in pairwise(bounds) if b > a]
    # A piece not ending a line would run into whatever follows it.
    whole = [piece.endswith((b"\n", b"\r")) for piece in pieces]
    spans: list[tuple[int, int]] = []
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
                index = later
                break
        if resumed < 0:
            break
        if resumed > cursor:
            spans.append((cursor, resumed))
        cursor = resumed
    if cursor < len(new):
        spans.append((cursor, len(new)))
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


def syntax_error(source: bytes, new: bytes, starts: Sequence[int] | None) -> SyntaxError | None:
    """Why ``new``, a rewrite of ``source`` (which parses), does not parse; None if it
    does. ``starts`` are ``source``'s top-level statements (``piece_starts``); without
    them the whole of ``new`` is parsed."""
    if starts and _utf8(source, new):
        try:
            for start, end in _changed(source, new, starts):
                # As text, so a comment in the piece is never read as its coding.
                ast.parse(new[start:end].decode("utf-8"))
        except (SyntaxError, ValueError):
            pass
        else:
            return None
    try:
        ast.parse(new)
    except SyntaxError as exc:
        return exc
    return None
