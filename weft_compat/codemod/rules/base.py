"""The rule base class and the dispatcher that runs every enabled rule in one walk.

A rule defines ``visit_<Node>(node)`` and/or ``leave_<Node>(original, updated)``
methods, as a LibCST transformer would. Walking the tree once per rule would cost
one parse per rule per file; the dispatcher walks once and fans out.

The walk calls the hooks in the order ``CSTTransformer`` would (children in source
order, visits before and leaves after them), but it is not LibCST's: that one
rebuilds every node of the module and asks about per-attribute hooks on each, at
more than the cost of parsing. Here a node is rebuilt only when a child changed,
so an untouched subtree stays the very object the parser made, and tokens and
whitespace, which no rule looks at, are not walked into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import ClassVar

import libcst as cst
from libcst import MaybeSentinel, SimpleStatementLine

from weft_compat.codemod.context import FileContext, PendingFinding
from weft_compat.codemod.report import guide_link

Visitor = Callable[[cst.CSTNode], None]
Leaver = Callable[[cst.CSTNode, cst.CSTNode], cst.CSTNode]

# Nodes whose children are only tokens, whitespace and parentheses: no rule hook can
# fire below them, so the walk calls their own hooks and does not descend.
_LEAVES: tuple[type[cst.CSTNode], ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Name,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.Ellipsis,
    cst.FormattedStringText,
    cst.ImportStar,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Dot,
    cst.Comma,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.Asynchronous,
)


# Fields that hold only tokens and whitespace (nodes of the kinds above), skipped
# without a look; other fields are looked into and their nodes' kinds checked.
_TOKEN_FIELDS = frozenset(
    {
        "asynchronous",
        "colon",
        "comma",
        "dot",
        "equal",
        "first_colon",
        "second_colon",
        "footer",
        "header",
        "lbrace",
        "lbracket",
        "rbrace",
        "rbracket",
        "leading_lines",
        "leading_whitespace",
        "lines_after_decorators",
        "lpar",
        "rpar",
        "operator",
        "relative",
        "semicolon",
        "trailing_whitespace",
    }
)


# Statements that open a scope: the walk keeps them on ``context.scopes``.
_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef})


class Rule:
    """One rewrite or flag, with a stable code; subclasses set the class attributes."""

    NAME: ClassVar[str]
    CODE: ClassVar[str]
    DESCRIPTION: ClassVar[str]
    # ``page.md#anchor`` of the rule's own guide section.
    GUIDE: ClassVar[str]
    # Why a site this rule reports was not rewritten, in one sentence, when a finding
    # gives no reason of its own (``--explain``).
    WHY: ClassVar[str] = "the site has no rewrite with the same meaning on weft_compat."

    def __init__(self, context: FileContext) -> None:
        self.context = context

    def report(
        self, node: cst.CSTNode, message: str, guide: str | None = None, why: str | None = None
    ) -> None:
        """Record a finding at an original node; ``guide`` overrides the rule's section,
        ``why`` the rule's sentence on why such a site is not rewritten."""
        link = guide_link(guide or self.GUIDE)
        reason = why or self.WHY
        self.context.findings.append(
            PendingFinding(node, self.CODE, message, link, self.context.statement, reason)
        )

    def add_import(self, module: str, name: str | None = None) -> None:
        """Ask for ``from module import name`` (or ``import module``) in the result."""
        self.context.added_imports.add((module, name))

    def drop_import(self, local_name: str, mentions: int = 1) -> None:
        """Note that ``mentions`` mentions of ``local_name`` were rewritten away.

        Its top-level import is dropped if no other mention is left.
        """
        context = self.context
        if local_name not in context.dropped_imports:
            # ``from celery import shared_task as st`` spells ``shared_task`` without
            # mentioning the local ``shared_task``: such spellings do not keep its import.
            context.dropped_imports[local_name] += context.facts.renamed_imports(local_name)
        context.dropped_imports[local_name] += mentions

    def drop_import_outright(self, local_name: str) -> None:
        """Drop the top-level import of ``local_name``, whose every mention the calling rule
        saw and rewrote away: a count of the text would keep it for an attribute or a
        keyword spelled the same (``match.group(1)`` beside ``from celery import group``)."""
        self.context.unused_imports.add(local_name)


class _FieldProbe(cst.CSTTransformer):
    """Records the names of a node's child fields, in the order LibCST visits them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None


_SHAPES: dict[type[cst.CSTNode], tuple[tuple[str, ...], bool]] = {}


def _shape(node: cst.CSTNode) -> tuple[tuple[str, ...], bool]:
    """The fields of ``node``'s kind worth walking into, in source order, and whether
    the kind is a statement; learnt once per kind."""
    kind = type(node)
    shape = _SHAPES.get(kind)
    if shape is None:
        fields: tuple[str, ...] = ()
        if not isinstance(node, _LEAVES):
            probe = _FieldProbe()
            node._visit_and_replace_children(probe)
            fields = tuple(
                field
                for field in probe.fields
                if field not in _TOKEN_FIELDS and not field.startswith("whitespace")
            )
        statement = isinstance(node, cst.BaseSmallStatement | cst.BaseCompoundStatement)
        shape = _SHAPES[kind] = (fields, statement)
    return shape


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes the walk descends into, in source order: every node a rule's hook
    can be called for, without the tokens and whitespace around them."""
    for field in _shape(node)[0]:
        value = getattr(node, field)
        if type(value) is tuple or type(value) is list:
            yield from value
        elif isinstance(value, cst.CSTNode):
            yield value


_HOOK_NAMES: dict[type[Rule], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _hook_names(rule: type[Rule]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The visit and leave hooks a rule class defines, looked up once per class."""
    names = _HOOK_NAMES.get(rule)
    if names is None:
        everything = dir(rule)
        visits = tuple(name for name in everything if name.startswith("visit_"))
        leaves = tuple(name for name in everything if name.startswith("leave_"))
        names = _HOOK_NAMES[rule] = (visits, leaves)
    return names


class _Plan:
    """What the walk does at nodes of one type: hooks to call, fields to descend into."""

    __slots__ = ("fields", "inert", "leavers", "statement", "visitors")

    def __init__(
        self,
        visitors: Sequence[Visitor],
        leavers: Sequence[Leaver],
        fields: tuple[str, ...],
        statement: bool,
    ) -> None:
        self.visitors = tuple(visitors)
        self.leavers = tuple(leavers)
        self.fields = fields
        self.statement = statement
        # Nothing to call here or below: the walk skips the node outright.
        self.inert = not (self.visitors or self.leavers or self.fields)


class Dispatcher:
    """Runs every rule's visit/leave hooks during a single traversal.

    ``context.statement`` follows the innermost statement being walked, so findings
    can be placed by it; statement lines for which ``skip`` is true (an outline's
    stand-ins) are not walked at all.
    """

    def __init__(
        self,
        context: FileContext,
        rules: Iterable[Rule],
        skip: Callable[[SimpleStatementLine], bool] | None = None,
    ) -> None:
        # Whether any rule replaced a node: an untouched module needs no code generation.
        self.changed = False
        # (original node, what replaced it, the statement holding it) for each node a
        # rule replaced and no replaced node holds, in source order.
        self.replaced: list[tuple[cst.CSTNode, cst.CSTNode, cst.CSTNode | None]] = []
        self._context = context
        self._skip = skip
        self._visitors: dict[str, list[Visitor]] = {}
        self._leavers: dict[str, list[Leaver]] = {}
        for rule in rules:
            visits, leaves = _hook_names(type(rule))
            for attribute in visits:
                self._visitors.setdefault(attribute[6:], []).append(getattr(rule, attribute))
            for attribute in leaves:
                self._leavers.setdefault(attribute[6:], []).append(getattr(rule, attribute))
        self._plans: dict[type[cst.CSTNode], _Plan] = {}

    def transform(self, module: cst.Module) -> cst.Module:
        """``module`` with every rule applied; the same object if nothing changed."""
        result = self._walk(module)
        assert isinstance(result, cst.Module)
        return result

    def _plan(self, node: cst.CSTNode) -> _Plan:
        kind = type(node)
        name = kind.__name__
        fields, statement = _shape(node)
        plan = _Plan(self._visitors.get(name, ()), self._leavers.get(name, ()), fields, statement)
        self._plans[kind] = plan
        return plan

    def _walk(self, node: cst.CSTNode) -> cst.CSTNode:
        plans = self._plans
        plan = plans.get(type(node)) or self._plan(node)
        context = self._context
        inner = len(self.replaced)
        scoped = False
        if plan.statement:
            outer = context.statement
            context.statement = node
            scoped = type(node) in _SCOPES
            if scoped:
                context.scopes.append(node)  # type: ignore[arg-type]
        for visit in plan.visitors:
            visit(node)
        updated = node
        if plan.fields:
            changes: dict[str, object] | None = None
            for field in plan.fields:
                value = getattr(node, field)
                kind = type(value)
                if kind is tuple or kind is list:
                    items = self._walk_sequence(value)
                    if items is not None:
                        changes = changes or {}
                        changes[field] = items
                elif value is not None and kind is not MaybeSentinel:
                    if (plans.get(kind) or self._plan(value)).inert:
                        continue
                    new = self._walk(value)
                    if new is not value:
                        changes = changes or {}
                        changes[field] = new
            if changes:
                updated = node.with_changes(**changes)
        replaced = False
        for leave in plan.leavers:
            result = leave(node, updated)
            if result is not updated:
                replaced = True
                updated = result
            # Once a rule has replaced the node with another kind, later rules'
            # hooks for the original kind no longer apply to it.
            if type(updated) is not type(node):
                break
        if replaced:
            self.changed = True
            # The replacement holds whatever replaced the nodes below.
            del self.replaced[inner:]
            self.replaced.append((node, updated, context.statement))
        if plan.statement:
            context.statement = outer
            if scoped:
                context.scopes.pop()
        return updated

    def _walk_sequence(self, value: Sequence[cst.CSTNode]) -> tuple[cst.CSTNode, ...] | None:
        """The walked items of a sequence field, None if none of them changed."""
        plans = self._plans
        skip = self._skip
        items: list[cst.CSTNode] | None = None
        for position, child in enumerate(value):
            kind = type(child)
            if (plans.get(kind) or self._plan(child)).inert or (
                skip is not None and kind is SimpleStatementLine and skip(child)  # type: ignore[arg-type]
            ):
                continue
            new = self._walk(child)
            if new is not child:
                if items is None:
                    items = list(value)
                items[position] = new
        return None if items is None else tuple(items)
