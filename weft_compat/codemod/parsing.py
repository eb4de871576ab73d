"""Parsing a file that the running interpreter's ``ast`` may not read.

The index parses with ``ast`` (fast, C), but a project can use syntax newer than the
interpreter running the codemod: ``except A, B:`` without parentheses (PEP 758,
Python 3.14) or template strings (PEP 750). LibCST parses them, and the rewrite uses
LibCST anyway, so such a file is no parse error. When ``ast`` fails, the file is
parsed with LibCST, the newer spellings are put in older words that mean the same to
the index (``except (A, B):``, an f-string), and ``ast`` reads that. The tree has the
file's names but not its exact positions, so it is marked inexact and the rewrite
takes no position shortcuts for the file.
"""

from __future__ import annotations

import ast

import libcst as cst

__all__ = ["parse_module", "parses"]


class _Older(cst.CSTTransformer):
    """Newer syntax in the words of older Python, with the same names in it."""

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        kind = updated_node.type
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            kind = kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(type=kind)
        return updated_node

    def leave_ExceptStarHandler(
        self, original_node: cst.ExceptStarHandler, updated_node: cst.ExceptStarHandler
    ) -> cst.ExceptStarHandler:
        kind = updated_node.type
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            kind = kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(type=kind)
        return updated_node

    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        parts: list[cst.BaseFormattedStringContent] = []
        for part in updated_node.parts:
            if isinstance(part, cst.TemplatedStringText):
                parts.append(cst.FormattedStringText(part.value))
            elif isinstance(part, cst.TemplatedStringExpression):
                parts.append(cst.FormattedStringExpression(part.expression))
        start = updated_node.start.replace("t", "f").replace("T", "f")
        return cst.FormattedString(parts, start=start, end=updated_node.end)


def parse_module(source: bytes) -> tuple[ast.Module, bool]:
    """``source``'s tree, and whether it is ``ast``'s own (exact positions).

    Raises the ``ast`` error when neither parser reads the file.
    """
    try:
        return ast.parse(source), True
    except (SyntaxError, ValueError) as error:
        try:
            module = cst.parse_module(source)
            return ast.parse(module.visit(_Older()).code), False
        except Exception:  # LibCST's own errors, or older words ast still refuses
            raise error from None


def parses(source: bytes) -> bool:
    """Whether ``source`` parses, by ``ast`` or, for newer syntax, by LibCST."""
    try:
        parse_module(source)
    except (SyntaxError, ValueError):
        return False
    return True
