"""Line and column of a few nodes, from one plain code-generation pass.

LibCST's ``PositionProvider`` records a range for every node of the module, which
costs about three parses; a file with one finding would pay that in full. Here the
code generator only notes where the nodes with findings start, and leading blank
lines, indentation and comments (which a statement's node owns) are skipped to land
on the node's first real character, as ``PositionProvider`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState  # the generator's hook; no public spelling


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


def locate(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, tuple[int, int]]:
    """``id(node)`` → (1-based line, 0-based column) for each of ``nodes`` in ``module``."""
    state = _LocatingState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        targets=frozenset(id(node) for node in nodes),
    )
    module._codegen(state)
    tokens = state.tokens
    found: dict[int, tuple[int, int]] = {}
    line, col, done = 1, 0, 0
    for key, index in sorted(state.starts.items(), key=lambda item: item[1]):
        line, col = _advance(line, col, "".join(tokens[done:index]))
        done = index
        node_line, node_col, cursor = line, col, index
        # Skip what the node owns before its first character: blank lines, indentation
        # and comment lines.
        while cursor < len(tokens) and (
            not tokens[cursor].strip() or tokens[cursor].startswith("#")
        ):
            node_line, node_col = _advance(node_line, node_col, tokens[cursor])
            cursor += 1
        if cursor < len(tokens):
            stripped = tokens[cursor]
            node_col += len(stripped) - len(stripped.lstrip())
        found[key] = (node_line, node_col)
    return found
