"""What the beat planners need to know about a whole module: mentions and bindings.

A schedule moves only when nothing else in its module reads it, and code moves only to
where the names it mentions are bound, so the planners count every name's mentions
(``Census``) and ask which names a top-level statement binds (``bound_names``). Both
walk the module, so they run only for modules holding something to rewrite.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.rules._shared import string_value

# String literals the planners look out for: a WEFT_COMPAT key the module already sets.
WATCHED_STRINGS = frozenset({"BEAT_SCHEDULE", "TIMEZONE"})
CONF_SCHEDULE = "beat_schedule"


@dataclass
class Census:
    """How often each name is mentioned as a variable, which watched strings occur,
    and how many ``x.beat_schedule`` attributes there are."""

    names: Counter[str] = field(default_factory=Counter)
    strings: set[str] = field(default_factory=set)
    conf_schedules: int = 0


class _Counter(cst.CSTVisitor):
    def __init__(self, census: Census) -> None:
        super().__init__()
        self.census = census

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if node.attr.value == CONF_SCHEDULE:
            self.census.conf_schedules += 1
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.census.names[node.value] += 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = string_value(node)
        if value in WATCHED_STRINGS:
            self.census.strings.add(value)


def census(module: cst.Module) -> Census:
    """The census of ``module``."""
    found = Census()
    module.visit(_Counter(found))
    return found


class _Bindings(cst.CSTVisitor):
    """Names a statement binds in the scope it runs in (not inside functions or classes)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def _target(self, node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            self.names.add(node.value)
        elif isinstance(node, cst.Tuple | cst.List):
            for element in node.elements:
                self._target(element.value)
        elif isinstance(node, cst.StarredElement):
            self._target(node.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._target(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._target(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._target(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            name = cst.Module([]).code_for_node(node.name)
            self.names.add(name.partition(".")[0])

    def visit_ImportStar(self, node: cst.ImportStar) -> None:
        self.names.add("*")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def bound_names(statement: cst.CSTNode) -> set[str]:
    """The names ``statement`` binds where it runs; ``*`` for a star import."""
    found = _Bindings()
    statement.visit(found)
    return found.names
