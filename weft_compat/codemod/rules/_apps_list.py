"""One more string at the end of a list or tuple literal, laid out as the entries before it.

A list written one entry a line gets the string on a line of its own, with the indent
and trailing comma the others have; a list on one line stays on one; a comment after
the last entry stays on its line. A one-element tuple's comma, there only to make it a
tuple, is not carried over to the new last element.
"""

from __future__ import annotations

import libcst as cst

Whitespace = cst.BaseParenthesizableWhitespace


def _inner(node: cst.List | cst.Tuple) -> tuple[Whitespace, Whitespace]:
    """The whitespace just inside the brackets: after the opening one, before the closing."""
    if isinstance(node, cst.List):
        return node.lbracket.whitespace_after, node.rbracket.whitespace_before
    if node.lpar and node.rpar:
        return node.lpar[-1].whitespace_after, node.rpar[0].whitespace_before
    return cst.SimpleWhitespace(""), cst.SimpleWhitespace("")


def _with_closing[S: (cst.List, cst.Tuple)](node: S, closing: Whitespace) -> S:
    if isinstance(node, cst.List):
        return node.with_changes(rbracket=node.rbracket.with_changes(whitespace_before=closing))
    if not node.rpar:
        return node
    first = node.rpar[0].with_changes(whitespace_before=closing)
    return node.with_changes(rpar=[first, *node.rpar[1:]])


def _bare(whitespace: Whitespace) -> Whitespace:
    """``whitespace`` without the comments it holds (a line break stays one)."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=[])
    return whitespace


def appended[S: (cst.List, cst.Tuple)](node: S, value: str, quote: str) -> S:
    """``node`` with the string ``value``, in ``quote``s, as its last element."""
    new = cst.Element(cst.SimpleString(f"{quote}{value}{quote}"))
    elements = list(node.elements)
    if not elements:
        only = cst.Comma() if isinstance(node, cst.Tuple) else cst.MaybeSentinel.DEFAULT
        return node.with_changes(elements=[new.with_changes(comma=only)])
    opening, closing = _inner(node)
    previous = elements[-2].comma if len(elements) >= 2 else None
    if isinstance(previous, cst.Comma):
        separator = previous
    elif isinstance(opening, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=opening)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    between = _bare(separator.whitespace_after)
    if isinstance(closing, cst.ParenthesizedWhitespace) and isinstance(
        between, cst.ParenthesizedWhitespace
    ):
        # The closing bracket on a line of its own: what followed the last element (its
        # comment, comment lines) stays after it, and the new one ends the line plainly.
        between = between.with_changes(
            first_line=closing.first_line, empty_lines=closing.empty_lines
        )
        closing = _bare(closing)
    last = elements[-1]
    comma: cst.Comma | cst.MaybeSentinel = last.comma
    if isinstance(node, cst.Tuple) and len(elements) == 1 and not _multiline(closing):
        comma = cst.MaybeSentinel.DEFAULT
    elements[-1] = last.with_changes(
        comma=cst.Comma(whitespace_before=separator.whitespace_before, whitespace_after=between)
    )
    elements.append(new.with_changes(comma=comma))
    return _with_closing(node.with_changes(elements=elements), closing)


def _multiline(whitespace: Whitespace) -> bool:
    return isinstance(whitespace, cst.ParenthesizedWhitespace)
