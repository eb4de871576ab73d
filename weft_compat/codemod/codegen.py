"""Code for a rewritten module: its source text, with what the rewrite replaced generated.

Generating a module's code visits every node, at about the cost of parsing it. The
rules' walk records each outermost node a rule replaced and keeps everything else as
parsed, so ``new_code`` takes the source text and swaps each replaced node's span
for its replacement's code. A span is found by the node's own code, when that
occurs exactly once in its statement's lines, or else by generating the statement.
Top-level statements that adding or dropping imports created are generated whole.
Where the module's statements cannot be lined up with its source, the whole module
is generated instead.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import pairwise

import libcst as cst
from libcst._nodes.internal import CodegenState  # the generator's hook; no public spelling

from weft_compat.codemod.positions import locate_in_statements
from weft_compat.codemod.statements import StatementMap


def _code(module: cst.Module, node: cst.CSTNode, indent: str) -> str:
    """``node``'s code at a place indented by ``indent``."""
    state = CodegenState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        indent_tokens=[indent] if indent else [],
    )
    node._codegen(state)
    return "".join(state.tokens)


def _leading_lines(statement: cst.CSTNode) -> int:
    """How many lines of a statement's own come before its first token."""
    if not isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return 0
    count = len(statement.leading_lines)
    if isinstance(statement, cst.FunctionDef | cst.ClassDef) and statement.decorators:
        count += len(statement.decorators[0].leading_lines)
    return count


def splicable(original: cst.CSTNode, replacement: cst.CSTNode) -> bool:
    """Whether ``replacement``'s code, generated on its own, is what it is in place.

    Expressions and decorators generate the same anywhere at one indentation; a
    small statement does if it keeps its own semicolon. Elements, arguments and
    parameters take their comma from their parent, so they are not spliced.
    """
    if isinstance(original, cst.StarredElement) or isinstance(replacement, cst.StarredElement):
        return False
    for kind in (cst.BaseExpression, cst.Decorator):
        if isinstance(original, kind):
            return isinstance(replacement, kind)
    if isinstance(original, cst.BaseSmallStatement):
        return (
            isinstance(replacement, cst.BaseSmallStatement)
            and replacement.semicolon is original.semicolon
        )
    return False


Replaced = tuple[cst.CSTNode, cst.CSTNode, cst.CSTNode]


def find_spans(
    module: cst.Module, statements: StatementMap, replaced: Sequence[Replaced]
) -> tuple[dict[int, tuple[int, int]], list[Replaced]]:
    """The source span of each replaced node found by its text, once in its statement.

    Returns the spans by ``id(node)``, and the replacements whose text is not found
    exactly once in their statement's lines (those need their statement generated).
    """
    spans: dict[int, tuple[int, int]] = {}
    unresolved: list[Replaced] = []
    text = statements.text
    starts = statements.line_starts
    for item in replaced:
        node, _, statement = item
        place = statements.places.get(id(statement))
        if place is None:
            unresolved.append(item)
            continue
        code = _code(module, node, place.indent)
        start = starts[max(place.line - 1 - _leading_lines(statement), 0)]
        end = starts[min(place.end_line, len(starts) - 1)]
        found = text.find(code, start, end)
        if found < 0 or text.find(code, found + 1, end) >= 0:
            unresolved.append(item)
        else:
            spans[id(node)] = (found, found + len(code))
    return spans, unresolved


def _extents(module: cst.Module, statements: StatementMap) -> list[int] | None:
    """Where each top-level statement's text starts (leading lines included), and
    where the footer starts; None if the lines do not add up."""
    starts = statements.line_starts
    lines = len(starts) - 1
    extents = []
    for statement in module.body:
        first = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else statement
        place = statements.places.get(id(first))
        if place is None or place.column != 0:
            return None
        line = place.line - _leading_lines(statement)
        if line < 1:
            return None
        extents.append(starts[line - 1])
    footer = lines - len(module.footer)
    if footer < 0:
        return None
    extents.append(starts[footer])
    if extents[0] != starts[len(module.header)]:
        return None
    return extents if all(a < b for a, b in pairwise(extents)) else None


def splice(
    module: cst.Module,
    walked: cst.Module,
    final: cst.Module,
    statements: StatementMap,
    edits: Sequence[tuple[int, int, cst.CSTNode, str]],
) -> str | None:
    """``final.code``, built from the source of ``module``.

    ``walked`` is ``module`` after the rules, ``final`` that with imports added or
    dropped. ``edits`` are ``(start, end, replacement, indent)``: a replaced node's
    span in the source and what replaced it; nested ones are covered by their outer.
    """
    if not module.has_trailing_newline or not module.body:
        return None
    extents = _extents(module, statements)
    if extents is None:
        return None
    text = statements.text
    by_extent: dict[int, list[tuple[int, int, cst.CSTNode, str]]] = {}
    end_of_last = -1
    for edit in sorted(edits, key=lambda edit: (edit[0], -edit[1])):
        start, end = edit[0], edit[1]
        if start < end_of_last:
            continue
        position = bisect_right(extents, start) - 1
        if position < 0 or position >= len(module.body) or end > extents[position + 1]:
            return None
        by_extent.setdefault(position, []).append(edit)
        end_of_last = end
    kept = {id(statement): position for position, statement in enumerate(walked.body)}
    pieces = [text[: extents[0]]]
    for statement in final.body:
        at = kept.get(id(statement))
        if at is None:
            pieces.append(_code(final, statement, ""))
            continue
        cursor = extents[at]
        for start, end, replacement, indent in by_extent.get(at, ()):
            pieces += [text[cursor:start], _code(final, replacement, indent)]
            cursor = end
        pieces.append(text[cursor : extents[at + 1]])
    pieces.append(text[extents[-1] :])
    return "".join(pieces)


def new_code(
    module: cst.Module,
    walked: cst.Module,
    final: cst.Module,
    statements: StatementMap | None,
    replaced: list[tuple[cst.CSTNode, cst.CSTNode, cst.CSTNode | None]],
) -> str:
    """``final.code``: spliced into ``module``'s source when every replaced node can be
    placed there, generated whole otherwise.

    ``walked`` is ``module`` after the rules, ``final`` that with imports added or
    dropped, ``replaced`` the walk's record of replaced nodes.
    """
    spliced = None
    if statements is not None:
        try:
            spliced = _spliced(module, walked, final, statements, replaced)
        except Exception:  # a shortcut never decides the outcome; the whole module does
            spliced = None
    return final.code if spliced is None else spliced


def _spliced(
    module: cst.Module,
    walked: cst.Module,
    final: cst.Module,
    statements: StatementMap,
    replaced: list[tuple[cst.CSTNode, cst.CSTNode, cst.CSTNode | None]],
) -> str | None:
    placed = [(node, new, statement) for node, new, statement in replaced if statement is not None]
    if len(placed) != len(replaced) or not all(splicable(node, new) for node, new, _ in placed):
        return None
    spans, unresolved = find_spans(module, statements, placed)
    if unresolved:
        located = locate_in_statements(
            module, statements, (), [(statement, node) for node, _, statement in unresolved]
        )
        if located is None:
            return None
        spans.update(located.spans)
    edits = [
        (*spans[id(node)], new, statements.places[id(statement)].indent)
        for node, new, statement in placed
    ]
    return splice(module, walked, final, statements, edits)
