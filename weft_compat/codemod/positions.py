"""Line and column of a few nodes, and the text a few nodes span, from code generation.

LibCST's ``PositionProvider`` records a range for every node of the module, which
costs about three parses; a file with one finding would pay that in full. Here the
code generator only notes where the nodes of interest start (and end), and leading
blank lines, indentation and comments (which a statement's node owns) are skipped
to land on the node's first real character, as ``PositionProvider`` does.

``locate`` generates the whole module. ``locate_in_statements`` generates only the
statements holding the nodes (a compound statement without its body), placed in
the file by a ``StatementMap``; it gives up (None) on nodes it cannot place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState  # the generator's hook; no public spelling

from weft_compat.codemod.statements import StatementMap

# A compound statement is generated with this body; its header comes first, unchanged.
_STUB = cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])])
# Compound statements whose expressions all come before their first body.
_HEADED = (cst.FunctionDef, cst.ClassDef, cst.If, cst.For, cst.While, cst.With)


@dataclass(frozen=False)
class _LocatingState(CodegenState):
    targets: frozenset[int] = frozenset()
    starts: dict[int, int] = field(default_factory=dict)
    # Nodes whose end is wanted too, and where they ended.
    spanned: frozenset[int] = frozenset()
    ends: dict[int, int] = field(default_factory=dict)

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.targets and key not in self.starts:
            self.starts[key] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.spanned:
            self.ends[key] = len(self.tokens)


def _advance(line: int, col: int, text: str) -> tuple[int, int]:
    newlines = text.count("\n")
    if newlines:
        return line + newlines, len(text) - text.rfind("\n") - 1
    return line, col + len(text)


def _is_blank(token: str) -> bool:
    return not token.strip() or token.startswith("#")


def _land(tokens: Sequence[str], index: int, line: int, col: int) -> tuple[int, int]:
    """From token ``index`` at (line, col), skip what a node owns before its first
    character: blank lines, indentation and comment lines."""
    while index < len(tokens) and _is_blank(tokens[index]):
        line, col = _advance(line, col, tokens[index])
        index += 1
    if index < len(tokens):
        token = tokens[index]
        col += len(token) - len(token.lstrip())
    return line, col


def _resolve(
    tokens: Sequence[str], starts: dict[int, int], line: int, col: int, origin: int = 0
) -> dict[int, tuple[int, int]]:
    """Positions of the nodes starting at ``starts``, token ``origin`` being at (line, col)."""
    found: dict[int, tuple[int, int]] = {}
    done = origin
    for key, index in sorted(starts.items(), key=lambda item: item[1]):
        line, col = _advance(line, col, "".join(tokens[done:index]))
        done = index
        found[key] = _land(tokens, index, line, col)
    return found


def locate(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, tuple[int, int]]:
    """``id(node)`` → (1-based line, 0-based column) for each of ``nodes`` in ``module``."""
    state = _LocatingState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        targets=frozenset(id(node) for node in nodes),
    )
    module._codegen(state)
    return _resolve(state.tokens, state.starts, 1, 0)


@dataclass
class Located:
    """What ``locate_in_statements`` found: node positions, and node spans in the text."""

    positions: dict[int, tuple[int, int]] = field(default_factory=dict)
    # id(node) → (start, end) character offsets in the text the map was made from.
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)


def _unit(
    statement: cst.CSTNode, statements: StatementMap
) -> tuple[cst.CSTNode, dict[str, bool]] | None:
    """What to generate for ``statement``: itself, or a compound one without its body."""
    if not isinstance(statement, cst.BaseCompoundStatement):
        return statement, {}
    if not isinstance(statement, _HEADED):
        return None
    changes: dict[str, object] = {"body": _STUB}
    if isinstance(statement, cst.If | cst.For | cst.While):
        changes["orelse"] = None
    options = {"is_elif": True} if id(statement) in statements.elifs else {}
    return statement.with_changes(**changes), options


def locate_in_statements(
    module: cst.Module,
    statements: StatementMap,
    nodes: Iterable[tuple[cst.CSTNode, cst.CSTNode]],
    spans: Iterable[tuple[cst.CSTNode, cst.CSTNode]] = (),
) -> Located | None:
    """Positions of ``(statement, node)`` pairs in ``nodes`` and text spans of those in
    ``spans``, generating only the statements that hold them.

    None when a statement has no place in the map, or a node sits in a part of a
    compound statement after its first body (an ``except`` clause, a ``case``).
    """
    grouped: dict[int, tuple[cst.CSTNode, set[int], set[int]]] = {}
    for statement, node in nodes:
        grouped.setdefault(id(statement), (statement, set(), set()))[1].add(id(node))
    for statement, node in spans:
        grouped.setdefault(id(statement), (statement, set(), set()))[2].add(id(node))
    found = Located()
    for key, (statement, targets, spanned) in grouped.items():
        place = statements.places.get(key)
        unit = _unit(statement, statements)
        if place is None or unit is None or (key in spanned and unit[0] is not statement):
            return None
        node, options = unit
        # The statement itself is reported at its copy's position.
        wanted = {node_id if node_id != key else id(node) for node_id in targets | spanned}
        state = _LocatingState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            targets=frozenset(wanted),
            spanned=frozenset(spanned),
            indent_tokens=[place.indent],
        )
        node._codegen(state, **options)
        tokens = state.tokens
        if len(state.starts) != len(wanted) or len(state.ends) != len(spanned):
            return None
        first = 0
        while first < len(tokens) and _is_blank(tokens[first]):
            first += 1
        if first == len(tokens):
            return None
        token = tokens[first]
        column = place.column - (len(token) - len(token.lstrip()))
        # What starts before the first real token (the statement's own leading lines)
        # lands on it.
        landing = {
            node_id: max(state.starts[node_id if node_id != key else id(node)], first)
            for node_id in targets
        }
        found.positions.update(_resolve(tokens, landing, place.line, column, first))
        origin = statements.line_starts[place.line - 1] + column
        for node_id in spanned:
            start, end = state.starts[node_id], state.ends[node_id]
            before = "".join(tokens[start:first]) if start < first else ""
            offset = origin - len(before) + len("".join(tokens[first:start]))
            found.spans[node_id] = (offset, offset + len("".join(tokens[start:end])))
    return found
