"""Code for a rewritten module that copies the statement lines the rewrite left alone.

Generating code visits every node, at about the cost of parsing it. The rules' walk
keeps an untouched subtree as the very object the parser made, so a statement line
found unchanged is copied from the source through the ``StatementMap``; only the
lines a rule changed, the headers of compound statements and added imports are
generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState  # the generator's hook; no public spelling

from weft_compat.codemod.statements import StatementMap

# Nodes that hold statements (directly or in clauses), and the fields that hold them.
_CONTAINERS = (
    cst.Module,
    cst.BaseCompoundStatement,
    cst.IndentedBlock,
    cst.Else,
    cst.Finally,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.MatchCase,
)
_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")


@dataclass(frozen=True)
class _Copied(cst.SimpleStatementLine):
    """A statement line generated as its source text (after its leading lines)."""

    text: str = ""

    def _codegen_impl(self, state: CodegenState) -> None:
        for line in self.leading_lines:
            line._codegen(state)
        state.add_indent_tokens()
        state.add_token(self.text)


def _copy_lines(node: cst.CSTNode, texts: dict[int, str]) -> cst.CSTNode:
    if isinstance(node, cst.SimpleStatementLine):
        text = texts.get(id(node))
        if text is None:
            return node
        return _Copied(
            body=node.body,
            leading_lines=node.leading_lines,
            trailing_whitespace=node.trailing_whitespace,
            text=text,
        )
    if not isinstance(node, _CONTAINERS):
        return node
    changes: dict[str, object] = {}
    for name in _FIELDS:
        value = getattr(node, name, None)
        if isinstance(value, tuple | list):
            items = [_copy_lines(item, texts) for item in value]
            if any(new is not old for new, old in zip(items, value, strict=True)):
                changes[name] = items
        elif isinstance(value, cst.CSTNode):
            new = _copy_lines(value, texts)
            if new is not value:
                changes[name] = new
    return node.with_changes(**changes) if changes else node


def render(module: cst.Module, statements: StatementMap) -> str:
    """``module.code``, with the statement lines ``statements`` knows copied."""
    copied = _copy_lines(module, statements.lines)
    assert isinstance(copied, cst.Module)
    return copied.code
