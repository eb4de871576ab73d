"""One walk over a module for the canvas rules: parents, source order, mentions, and the
calls canvas starts from.

The canvas rules decide before the rules' walk reaches a module's first statement
what they rewrite, because a workflow can run several statements after its parts are
built, and an import at the top follows from every use further down. They need each
node's parent (to see what an expression is part of), the order of the nodes (to see
what runs before what), every mention of each name, and, while the functions around
each call are known (a dispatch helper's parameter names a task only inside it), which
receivers are tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.facts import TaskSignature
from weft_compat.codemod.imports import bound_name
from weft_compat.codemod.rules.apply_async import signature_call
from weft_compat.codemod.rules.base import children
from weft_compat.codemod.shapes import CANVAS_PRIMITIVES

# Methods that build a signature: on anything (``s``, ``si``), or on a task only.
SIGNATURE_METHODS = frozenset({"s", "si"})
TASK_SIGNATURE_METHODS = frozenset({"signature", "subtask", "map", "starmap", "chunks"})
RESTORE = "celery.result.GroupResult.restore"
# Receivers that are never a task.
LITERALS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer, cst.Float)
_SCOPES = (cst.FunctionDef, cst.ClassDef)
_IMPORTS = (cst.Import, cst.ImportFrom)


@dataclass
class Tree:
    """What the canvas rules know of one module's nodes, by ``id``."""

    parents: dict[int, cst.CSTNode] = field(default_factory=dict)
    # Each node's place in the walk, and the place after its last descendant.
    order: dict[int, int] = field(default_factory=dict)
    ends: dict[int, int] = field(default_factory=dict)
    # Name → its mentions as a variable (not attribute names, keywords or imports).
    mentions: defaultdict[str, list[cst.Name]] = field(default_factory=lambda: defaultdict(list))
    # Local name → the import aliases binding it, anywhere in the module.
    imported: defaultdict[str, list[cst.ImportAlias]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Calls that can start canvas: signatures, primitives, GroupResult.restore.
    starts: list[cst.Call] = field(default_factory=list)
    # Receivers (by id) that name a weft task (its signature), or a task that stays on
    # Celery (why).
    tasks: dict[int, TaskSignature] = field(default_factory=dict)
    kept: dict[int, str] = field(default_factory=dict)
    # Dispatches of a signature that ``apply_async`` (WC104) makes one enqueue.
    enqueued: set[int] = field(default_factory=set)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The node holding ``node``, None for the module."""
        return self.parents.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterable[cst.CSTNode]:
        """The nodes holding ``node``, innermost first."""
        current = self.parents.get(id(node))
        while current is not None:
            yield current
            current = self.parents.get(id(current))

    def position(self, node: cst.CSTNode) -> int:
        """Where ``node`` comes in the module, read top to bottom."""
        return self.order[id(node)]

    def end(self, node: cst.CSTNode) -> int:
        """Where the code after ``node`` (and all it holds) comes."""
        return self.ends[id(node)]

    def holds(self, outer: cst.CSTNode, node: cst.CSTNode) -> bool:
        """Whether ``node`` is ``outer`` or inside it."""
        return self.order[id(outer)] <= self.order[id(node)] < self.ends[id(outer)]


def primitive(context: FileContext, func: cst.BaseExpression) -> str | None:
    """The canonical name of the canvas primitive (or restore) ``func`` names, if any."""
    qualified = context.qualified_name(func)
    if qualified in CANVAS_PRIMITIVES or qualified == RESTORE:
        return qualified
    return None


def read_tree(context: FileContext, module: cst.Module) -> Tree:
    """Walk ``module`` once; ``context.scopes`` follows the walk, as in the rules' own."""
    tree = Tree()
    outer = context.scopes
    context.scopes = []
    try:
        _walk(context, tree, module)
    finally:
        context.scopes = outer
    return tree


def _walk(context: FileContext, tree: Tree, node: cst.CSTNode) -> None:
    tree.order[id(node)] = len(tree.order)
    _visit(context, tree, node)
    tree.ends[id(node)] = len(tree.order)


def _visit(context: FileContext, tree: Tree, node: cst.CSTNode) -> None:
    if isinstance(node, _IMPORTS):
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                local = bound_name(alias)
                if local is not None:
                    tree.imported[local].append(alias)
        return  # module paths and imported names are no mentions
    if isinstance(node, cst.Name):
        holder = tree.parents.get(id(node))
        if not (
            (isinstance(holder, cst.Attribute) and holder.attr is node)
            or (isinstance(holder, cst.Arg) and holder.keyword is node)
        ):
            tree.mentions[node.value].append(node)
        return
    if isinstance(node, cst.Call):
        _call(context, tree, node)
    scoped = isinstance(node, _SCOPES)
    if scoped:
        context.scopes.append(node)  # type: ignore[arg-type]
    for child in children(node):
        tree.parents[id(child)] = node
        _walk(context, tree, child)
    if scoped:
        context.scopes.pop()


def _call(context: FileContext, tree: Tree, call: cst.Call) -> None:
    func = call.func
    if primitive(context, func) is not None:
        tree.starts.append(call)
        return
    if not isinstance(func, cst.Attribute):
        return
    receiver, method = func.value, func.attr.value
    if method in ("delay", "apply_async"):
        if signature_call(context, call) is not None:
            tree.enqueued.add(id(call))
        task = context.task(receiver) if method == "apply_async" else None
        if task is not None:
            tree.tasks[id(receiver)] = task
        return
    if method not in SIGNATURE_METHODS and method not in TASK_SIGNATURE_METHODS:
        return
    task = context.task(receiver)
    kept = context.kept_on_celery(receiver) if task is None else None
    if task is not None:
        tree.tasks[id(receiver)] = task
    elif kept is not None:
        tree.kept[id(receiver)] = kept
    if (
        task is not None
        or kept is not None
        or (
            method in SIGNATURE_METHODS
            and not isinstance(receiver, LITERALS)
            and context.helper_parameter(receiver) is None  # reported as its helper (WC216)
        )
    ):
        tree.starts.append(call)
