"""Reading a settings module's ``INSTALLED_APPS`` for ``installed_apps`` (WC116): the
statements binding it, the list or tuple literal the app can go into, and, where no
module binds it, the site to say so at.

The literal is the value itself, or the last part of ``A + B + ...`` or a name bound
once, above, to a literal; every part and every ``*name`` it unpacks must be such, so
the rule can tell whether the app is in the list already.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.django_facts import DJANGO_SETTINGS_MODULE, INSTALLED_APPS
from weft_compat.codemod.rules._beat_scan import bound_names
from weft_compat.codemod.rules._shared import mentioned_names, method_call, string_value

_LONGEST = 40


@dataclass(frozen=True)
class Binding:
    """A module-level statement binding or changing INSTALLED_APPS: the small statement,
    its value (None for a method call), whether it sits in a block, and whether it binds
    INSTALLED_APPS afresh (rather than adding to the one bound before)."""

    small: cst.BaseSmallStatement
    value: cst.BaseExpression | None
    nested: bool
    fresh: bool


def _is_installed_apps(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == INSTALLED_APPS


def _binding(small: cst.BaseSmallStatement, nested: bool) -> Binding | None:
    if isinstance(small, cst.Assign) and any(_is_installed_apps(t.target) for t in small.targets):
        fresh = INSTALLED_APPS not in mentioned_names(small.value)
        return Binding(small, small.value, nested, fresh)
    if isinstance(small, cst.AnnAssign) and _is_installed_apps(small.target):
        value = small.value
        fresh = value is not None and INSTALLED_APPS not in mentioned_names(value)
        return Binding(small, value, nested, fresh)
    if isinstance(small, cst.AugAssign) and _is_installed_apps(small.target):
        return Binding(small, small.value, nested, False)
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        method = method_call(small.value)
        if method is not None and _is_installed_apps(method[0]):
            return Binding(small, None, nested, False)
    return None


class _Nested(cst.CSTVisitor):
    """The bindings inside a compound statement at module level (not in functions)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Binding] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        self.found += [b for small in node.body if (b := _binding(small, True)) is not None]
        return False


def read_bindings(module: cst.Module) -> list[tuple[int, Binding]]:
    """Each binding of INSTALLED_APPS with the position of its top-level statement."""
    found: list[tuple[int, Binding]] = []
    for position, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                binding = _binding(small, False)
                if binding is not None:
                    found.append((position, binding))
        elif not isinstance(statement, cst.FunctionDef | cst.ClassDef):
            nested = _Nested()
            statement.visit(nested)
            found += [(position, binding) for binding in nested.found]
    return found


def code_of(node: cst.CSTNode) -> str:
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= _LONGEST else f"{text[: _LONGEST - 3]}..."


def _bound_literal(
    node: cst.BaseExpression, module: cst.Module, before: int
) -> cst.List | cst.Tuple | None:
    """The list or tuple literal the name ``node`` is bound to, when the module binds it
    once, to that literal, in a plain assignment above position ``before``."""
    if not isinstance(node, cst.Name):
        return None
    binders = [
        (position, statement)
        for position, statement in enumerate(module.body)
        if node.value in bound_names(statement)
    ]
    if len(binders) != 1 or binders[0][0] >= before:
        return None
    statement = binders[0][1]
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if not isinstance(small, cst.Assign) or len(small.targets) != 1:
        return None
    value = small.value
    return value if isinstance(value, cst.List | cst.Tuple) else None


def _parts(value: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The operands of ``a + b + c``; ``[value]`` for anything else but another operator."""
    parts: list[cst.BaseExpression] = []
    while isinstance(value, cst.BinaryOperation):
        if not isinstance(value.operator, cst.Add):
            return None
        parts.insert(0, value.right)
        value = value.left
    return [value, *parts]


def literal_to_extend(
    value: cst.BaseExpression, module: cst.Module, before: int
) -> tuple[cst.List | cst.Tuple | None, str]:
    """The literal to add the app to, or why there is none."""
    parts = _parts(value)
    if parts is None:
        return None, f"is computed ({code_of(value)})"
    literals: list[cst.List | cst.Tuple] = []
    for part in parts:
        literal = (
            part if isinstance(part, cst.List | cst.Tuple) else _bound_literal(part, module, before)
        )
        if literal is None:
            if isinstance(part, cst.Name):
                return None, f"is built from {part.value}, which is not a list bound once above"
            return None, f"is built by {code_of(part)}"
        for element in literal.elements:
            unpacked = element.value if isinstance(element, cst.StarredElement) else None
            if unpacked is not None and _bound_literal(unpacked, module, before) is None:
                return None, f"unpacks {code_of(unpacked)}, which is not a list bound once above"
        literals.append(literal)
    return literals[-1], ""


class Sites(cst.CSTVisitor):
    """Where to say that no module binds INSTALLED_APPS: the first binding of it inside a
    class or function, ``autodiscover_tasks()`` call, ``config_from_object(
    "django.conf:settings")`` call, or naming of the settings module."""

    def __init__(self) -> None:
        super().__init__()
        self.binding: cst.CSTNode | None = None
        self.autodiscovery: cst.CSTNode | None = None
        self.configuring: cst.CSTNode | None = None
        self.naming: cst.CSTNode | None = None

    def call(self) -> cst.CSTNode | None:
        """The first of the calls found, in the order above."""
        return self.autodiscovery or self.configuring or self.naming

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        # Module-level bindings are the index's; only those in classes and functions
        # (or their blocks) are looked for.
        if self.binding is not None:
            return
        for statement in node.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if _binding(small, True) is not None and not isinstance(small, cst.Expr):
                        self.binding = small
                        return

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is None:
            return
        first = string_value(node.args[0].value) if node.args else None
        if method[1] == "autodiscover_tasks" and self.autodiscovery is None:
            self.autodiscovery = node
        configures = method[1] == "config_from_object" and (first or "").startswith("django.conf")
        if configures and self.configuring is None:
            self.configuring = node
        if method[1] == "setdefault" and first == DJANGO_SETTINGS_MODULE and self.naming is None:
            self.naming = node

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.naming is None and string_value(node) == DJANGO_SETTINGS_MODULE:
            self.naming = node
