"""Line and column of a few nodes, from code generation.

LibCST's ``PositionProvider`` records a range for every node of the module, which
costs about three parses; a file with one finding would pay that in full. Here the
code generator only notes where the nodes with findings start, and leading blank
lines, indentation and comments (which a statement's node owns) are skipped to land
on the node's first real character, as ``PositionProvider`` does.

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

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.targets and key not in self.starts:
            self.starts[key] = len(self.tokens)


def _advance(line: int, col: int, text: str) -> tuple[int, int]:
    newlines = text.count("\n")
    if newlines:
        return line + newlines, len(text) - text.rfind("\n") - 1
    return line, col + len(text)


def _is_blank(token: str) -> bool:
    return not token.strip() or token.startswith("#")


def _land(tokens: Sequence[str], index: int, line: int, col: int) -> tuple[int, int]:
    """From token ``index`` at (line, col), skip what a node owns before its first character:
    blank lines, indentation and comment lines."""
    while index < len(tokens) and _is_blank(tokens[index]):
        line, col = _advance(line, col, tokens[index])
        index += 1
    if index < len(tokens):
        token = tokens[index]
        col += len(token) - len(token.lstrip())
    return line, col


def _resolve(
    state: _LocatingState, line: int, col: int, origin: int = 0
) -> dict[int, tuple[int, int]]:
    """Positions of the recorded nodes, token ``origin`` being at (line, col)."""
    tokens = state.tokens
    found: dict[int, tuple[int, int]] = {}
    done = origin
    for key, index in sorted(state.starts.items(), key=lambda item: item[1]):
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
    return _resolve(state, 1, 0)


def locate_in_statements(
    module: cst.Module,
    statements: StatementMap,
    nodes: Iterable[tuple[cst.CSTNode, cst.CSTNode]],
) -> dict[int, tuple[int, int]] | None:
    """Like ``locate`` for ``(statement, node)`` pairs, generating only those statements.

    None when a statement has no place in the map, or a node sits in a part of a
    compound statement after its first body (an ``except`` clause, a ``case``).
    """
    grouped: dict[int, tuple[cst.CSTNode, set[int]]] = {}
    for statement, node in nodes:
        grouped.setdefault(id(statement), (statement, set()))[1].add(id(node))
    found: dict[int, tuple[int, int]] = {}
    for key, (statement, targets) in grouped.items():
        place = statements.places.get(key)
        if place is None:
            return None
        unit = statement
        options = {}
        if isinstance(statement, cst.BaseCompoundStatement):
            if not isinstance(statement, _HEADED):
                return None
            changes: dict[str, object] = {"body": _STUB}
            if isinstance(statement, cst.If | cst.For | cst.While):
                changes["orelse"] = None
            unit = statement.with_changes(**changes)
            targets = {target for target in targets if target != key} | {id(unit)}
            if key in statements.elifs:
                options["is_elif"] = True
        state = _LocatingState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            targets=frozenset(targets),
            indent_tokens=[place.indent],
        )
        unit._codegen(state, **options)
        if len(state.starts) != len(targets):
            return None
        tokens = state.tokens
        first = 0
        while first < len(tokens) and _is_blank(tokens[first]):
            first += 1
        if first == len(tokens):
            return None
        # What starts before the first real token (the statement's own leading lines)
        # lands on it.
        state.starts = {k: max(index, first) for k, index in state.starts.items()}
        token = tokens[first]
        column = place.column - (len(token) - len(token.lstrip()))
        located = _resolve(state, place.line, column, first)
        if id(unit) in located and unit is not statement:
            located[key] = located.pop(id(unit))
        found.update(located)
    return found
