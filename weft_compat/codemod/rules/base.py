"""The rule base class and the transformer that runs every enabled rule in one walk.

A rule defines ``visit_<Node>(node)`` and/or ``leave_<Node>(original, updated)``
methods, as a LibCST transformer would. Walking the tree once per rule would cost
one parse per rule per file; the dispatcher below walks once and fans out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import ClassVar

import libcst as cst

from weft_compat.codemod.context import FileContext, PendingFinding
from weft_compat.codemod.report import guide_link

Visitor = Callable[[cst.CSTNode], None]
Leaver = Callable[[cst.CSTNode, cst.CSTNode], cst.CSTNode]


class Rule:
    """One rewrite or flag, with a stable code; subclasses set the class attributes."""

    NAME: ClassVar[str]
    CODE: ClassVar[str]
    DESCRIPTION: ClassVar[str]
    # ``page.md#anchor`` of the rule's own guide section.
    GUIDE: ClassVar[str]

    def __init__(self, context: FileContext) -> None:
        self.context = context

    def report(self, node: cst.CSTNode, message: str, guide: str | None = None) -> None:
        """Record a finding at an original node; ``guide`` overrides the rule's section."""
        self.context.findings.append(
            PendingFinding(node, self.CODE, message, guide_link(guide or self.GUIDE))
        )

    def add_import(self, module: str, name: str | None = None) -> None:
        """Ask for ``from module import name`` (or ``import module``) in the result."""
        self.context.added_imports.add((module, name))

    def drop_import(self, local_name: str, mentions: int = 1) -> None:
        """Note that ``mentions`` mentions of ``local_name`` were rewritten away.

        Its top-level import is dropped if no other mention is left.
        """
        self.context.dropped_imports[local_name] += mentions


class Dispatcher(cst.CSTTransformer):
    """Runs every rule's visit/leave hooks during a single traversal."""

    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        # Whether any rule replaced a node: an untouched module needs no code generation.
        self.changed = False
        self._visitors: dict[str, list[Visitor]] = defaultdict(list)
        self._leavers: dict[str, list[Leaver]] = defaultdict(list)
        for rule in rules:
            for attribute in dir(type(rule)):
                if attribute.startswith("visit_"):
                    self._visitors[attribute[6:]].append(getattr(rule, attribute))
                elif attribute.startswith("leave_"):
                    self._leavers[attribute[6:]].append(getattr(rule, attribute))

    def on_visit(self, node: cst.CSTNode) -> bool:
        for visit in self._visitors.get(type(node).__name__, ()):
            visit(node)
        return True

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode:
        for leave in self._leavers.get(type(original_node).__name__, ()):
            result = leave(original_node, updated_node)
            if result is not updated_node:
                self.changed = True
                updated_node = result
            # Once a rule has replaced the node with another kind, later rules'
            # hooks for the original kind no longer apply to it.
            if type(updated_node) is not type(original_node):
                break
        return updated_node
