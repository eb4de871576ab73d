"""Finding a module's canvas sites, and the local names that carry them.

A site is a whole canvas expression: from each call that can start canvas (a
signature, a primitive, ``GroupResult.restore``) up through what holds it (a
primitive's argument, ``|``, a method, a dispatch). What holds the site then decides
where its value goes. Thrown away (a statement, an ``on_commit`` callback) or read
right there (``group(...).delay().id``) ends it; a local name of a function carries it
on, and every mention of that name in the function is a site too (a name bound to a
dispatch holds a handle, one bound to a list holds steps, ``v.append(...)`` and
``v.set(...)`` change them). Anywhere else (returned, passed on, stored on the module,
a class or an attribute) the code that runs it is out of sight.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._canvas_read import HANDLE, PARTS, Reader
from weft_compat.codemod.rules._canvas_shapes import CANVAS, FAR, Failure, label
from weft_compat.codemod.rules._canvas_tree import RESTORE, Tree, primitive
from weft_compat.codemod.rules._shared import keyword_name, method_call

# What holds a site: where its value goes.
DISCARD = "discard"  # a statement, an on_commit callback: nothing reads it
READ = "read"  # an attribute of a handle, read right there
BIND = "bind"  # ``v = site`` in a function
AUG = "aug"  # ``v |= site``
MUTATE = "mutate"  # the statement ``v.set(...)`` / ``v.link(...)``
APPEND = "append"  # ``v.append(site)`` / ``v.extend(site)`` / ``v += site``
RECEIVER = "receiver"  # the ``v`` of ``v.append(...)``
TARGET = "target"  # the ``v`` of ``v = ...``
HARMLESS = "harmless"  # ``len(v)``, ``if v:`` on a list of steps
ESCAPE = "escape"  # anywhere else
BOUND = "bound"  # a parameter, a loop's target: a value from out of sight
_MUTATORS = frozenset({"set", "link", "link_error", "on_error"})
_ON_COMMIT = "django.db.transaction.on_commit"
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


@dataclass
class Site:
    """One canvas expression and what holds it."""

    node: cst.CSTNode
    context: str
    scope: cst.FunctionDef | None
    # The local name it binds, changes or extends (BIND, AUG, MUTATE, APPEND, RECEIVER,
    # TARGET), and, for ESCAPE, where the value goes.
    name: str | None = None
    where: str = ""
    dispatch: bool = False
    restore: bool = False
    # A signature dispatched at once, which apply_async (WC104) rewrites.
    enqueued: bool = False
    reader: Reader | None = None
    failure: Failure | None = None


@dataclass
class Local:
    """A name of one function that holds canvas, a list of it, or a workflow's handle."""

    scope: cst.FunctionDef
    name: str
    holds: str  # CANVAS (any canvas kind), PARTS or HANDLE
    bindings: list[Site] = field(default_factory=list)
    changes: list[Site] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    kind: str | None = None
    reader: Reader | None = None


class Sites:
    """The canvas sites of one module, and the local names they flow through."""

    def __init__(self, context: FileContext, tree: Tree) -> None:
        self.context = context
        self.tree = tree
        self.sites: dict[int, Site] = {}
        self.locals: dict[tuple[int, str], Local] = {}
        self.queue: deque[cst.CSTNode] = deque(tree.starts)
        self.seen: set[int] = set()

    # Finding the sites and the names they flow through.

    def collect(self) -> None:
        while self.queue:
            atom = self.queue.popleft()
            if id(atom) not in self.seen:
                self.seen.add(id(atom))
                self.site(atom)

    def site(self, atom: cst.CSTNode) -> None:
        restore = isinstance(atom, cst.Call) and primitive(self.context, atom.func) == RESTORE
        node, dispatch = (atom, False) if restore else self.climb(atom)
        if id(node) in self.sites:
            return
        site = Site(node, ESCAPE, self.scope_of(node), dispatch=dispatch, restore=restore)
        self.sites[id(node)] = site
        if id(node) in self.tree.enqueued:
            site.enqueued = True
            return
        self.classify(site)
        if site.context in (BIND, AUG):
            self.local(site, self.holds(site)).bindings.append(site)
        elif site.context == MUTATE:
            self.local(site, CANVAS).changes.append(site)
        elif site.context == APPEND:
            self.local(site, PARTS).changes.append(site)
        elif site.context == RECEIVER:
            self.local(site, PARTS)
            call = self.tree.parent(self.tree.parent(node) or node)
            assert isinstance(call, cst.Call)  # classify saw it
            self.queue.append(call.args[0].value)

    def local(self, site: Site, holds: str) -> Local:
        assert site.scope is not None  # classify gives both
        assert site.name is not None
        key = (id(site.scope), site.name)
        known = self.locals.get(key)
        if known is not None:
            if known.holds != holds:
                known.failures.append(
                    Failure(
                        site.node,
                        f"{site.name!r} holds {_HOLDS[known.holds]} and "
                        f"{_HOLDS[holds]} in this function",
                        FAR,
                    )
                )
            return known
        local = self.locals[key] = Local(site.scope, site.name, holds)
        for mention in self.mentions(local):
            holder = self.tree.parent(mention)
            if isinstance(holder, cst.AssignTarget) and holder.target is mention:
                assign = self.tree.parent(holder)
                if isinstance(assign, cst.Assign):
                    self.queue.append(assign.value)  # each binding is a site of its own
            elif holds != HANDLE:
                self.queue.append(mention)
        return local

    def mentions(self, local: Local) -> list[cst.Name]:
        return [
            mention
            for mention in self.tree.mentions.get(local.name, ())
            if self.tree.holds(local.scope, mention)
        ]

    def holds(self, site: Site) -> str:
        """What a binding site puts in its name."""
        if site.dispatch or site.restore:
            return HANDLE
        node = site.node
        if isinstance(node, cst.List | cst.Tuple | cst.GeneratorExp | cst.ListComp):
            return PARTS
        if isinstance(node, cst.Name):
            local = self.lookup_local(node)
            if local is not None:
                return local.holds
        return CANVAS

    def scope_of(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """The function whose local names ``node`` reads, None outside of one (a module,
        a class, a lambda)."""
        for holder in self.tree.ancestors(node):
            if isinstance(holder, _SCOPES):
                return holder if isinstance(holder, cst.FunctionDef) else None
        return None

    def listish(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.List | cst.Tuple | cst.GeneratorExp | cst.ListComp):
            return True
        if isinstance(node, cst.Name):
            local = self.lookup_local(node)
            return local is not None and local.holds == PARTS
        return False

    def climb(self, node: cst.CSTNode) -> tuple[cst.CSTNode, bool]:
        """The whole canvas expression around ``node``, and whether it is a dispatch."""
        while True:
            step = self.absorb(node, self.tree.parent(node))
            if step is None:
                return node, False
            node, dispatch = step
            if dispatch:
                return node, True

    def absorb(
        self, node: cst.CSTNode, holder: cst.CSTNode | None
    ) -> tuple[cst.CSTNode, bool] | None:
        """What holds ``node`` as canvas (and whether it dispatches), if anything does."""
        tree, context = self.tree, self.context
        if isinstance(holder, cst.Arg) and holder.value is node:
            call = tree.parent(holder)
            if not isinstance(call, cst.Call):
                return None
            keyword = keyword_name(holder)
            method = method_call(call)
            if method is not None and method[1] == "apply_async" and keyword in _LINK_KEYWORDS:
                return call, True
            qualified = primitive(context, call.func)
            if qualified is not None and qualified != RESTORE:
                return call, False
            if method is not None and method[1] in _CALLBACKS and keyword is None:
                return call, False
            if isinstance(call.func, cst.Call) and primitive(context, call.func.func) == _CHORD:
                return call, True
            return None
        if isinstance(holder, cst.Element) and holder.value is node:
            sequence = tree.parent(holder)
            return (sequence, False) if isinstance(sequence, cst.List | cst.Tuple) else None
        if isinstance(holder, cst.GeneratorExp | cst.ListComp) and holder.elt is node:
            return holder, False
        if self.listish(node):
            return None
        if isinstance(holder, cst.BinaryOperation) and isinstance(holder.operator, cst.BitOr):
            return holder, False
        if isinstance(holder, cst.IfExp) and node in (holder.body, holder.orelse):
            return holder, False
        if isinstance(holder, cst.Attribute) and holder.value is node:
            call = tree.parent(holder)
            if isinstance(call, cst.Call) and call.func is holder:
                return call, holder.attr.value in ("delay", "apply_async")
            return None
        if isinstance(holder, cst.Call) and holder.func is node:
            return holder, True
        return None

    def classify(self, site: Site) -> None:
        """Where the value of ``site`` goes: its context, and the name or place."""
        node, tree = site.node, self.tree
        holder = tree.parent(node)
        name: str | None = None
        if isinstance(holder, cst.Expr) and holder.value is node:
            target = _mutated(node)
            if target is not None and site.scope is not None:
                site.context, site.name = MUTATE, target
            else:
                site.context = DISCARD
            return
        if isinstance(holder, cst.Lambda) and holder.body is node and self.on_commit(holder):
            site.context = DISCARD if site.dispatch else ESCAPE
            site.where = "returned from an on_commit callback"
            return
        if isinstance(holder, cst.Assign) and holder.value is node:
            targets = holder.targets
            if len(targets) == 1 and isinstance(targets[0].target, cst.Name):
                name = targets[0].target.value
                if site.scope is not None:
                    site.context, site.name = BIND, name
                    return
                site.where = f"stored in the {self.level(node)} {name!r}"
            else:
                site.where = f"stored in {label(holder.targets[0].target)}"
            return
        if (
            isinstance(holder, cst.AugAssign)
            and holder.value is node
            and isinstance(holder.operator, cst.BitOrAssign)
            and isinstance(holder.target, cst.Name)
            and site.scope is not None
        ):
            site.context, site.name = AUG, holder.target.value
            return
        if (
            isinstance(holder, cst.AugAssign)
            and holder.value is node
            and isinstance(holder.operator, cst.AddAssign)
            and isinstance(holder.target, cst.Name)
            and site.scope is not None
            and self.listish(node)
        ):
            site.context, site.name = APPEND, holder.target.value  # ``v += [...]``: extend
            return
        if isinstance(node, cst.Name) and self.assigned(node, holder):
            site.context, site.name = TARGET, node.value
            return
        if isinstance(holder, cst.Arg) and holder.value is node and site.scope is not None:
            call = tree.parent(holder)
            extended = _extended(call, tree)
            if extended is not None and not holder.keyword and not holder.star:
                site.context, site.name = APPEND, extended
                return
        if isinstance(node, cst.Name) and isinstance(holder, cst.Attribute):
            call = tree.parent(holder)
            if (
                holder.value is node
                and isinstance(call, cst.Call)
                and _extended(call, tree) == node.value
                and site.scope is not None
            ):
                site.context, site.name = RECEIVER, node.value
                return
        if (site.dispatch or site.restore) and isinstance(holder, cst.Attribute):
            site.context = READ
            return
        if isinstance(node, cst.Name) and site.scope is not None and self.harmless(node, holder):
            site.context, site.name = HARMLESS, node.value
            return
        site.where = self.elsewhere(node, holder)
        if isinstance(node, cst.Name) and site.where in _BINDERS:
            site.context = BOUND

    def level(self, node: cst.CSTNode) -> str:
        """What a name assigned outside a function is: a module's or a class's."""
        for holder in self.tree.ancestors(node):
            if isinstance(holder, cst.ClassDef):
                return "class attribute"
        return "module-level name"

    def assigned(self, node: cst.Name, holder: cst.CSTNode | None) -> bool:
        if isinstance(holder, cst.AssignTarget) and holder.target is node:
            return True
        return isinstance(holder, cst.AugAssign) and holder.target is node

    def harmless(self, node: cst.Name, holder: cst.CSTNode | None) -> bool:
        """``len(v)``, ``if v:``, ``if v and not w:``: a read of a list that leaves it be."""
        if isinstance(holder, cst.Arg) and holder.value is node and not holder.keyword:
            call = self.tree.parent(holder)
            return (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Name)
                and call.func.value == "len"
                and len(call.args) == 1
            )
        tested: cst.CSTNode = node
        while isinstance(holder, cst.BooleanOperation) or (
            isinstance(holder, cst.UnaryOperation) and isinstance(holder.operator, cst.Not)
        ):
            tested, holder = holder, self.tree.parent(holder)
        return isinstance(holder, cst.If | cst.While) and holder.test is tested

    def on_commit(self, callback: cst.Lambda) -> bool:
        """Whether ``callback`` is what ``transaction.on_commit(...)`` runs, which throws
        its value away."""
        holder = self.tree.parent(callback)
        call = self.tree.parent(holder) if isinstance(holder, cst.Arg) else None
        return (
            isinstance(call, cst.Call)
            and self.context.qualified_name(call.func) == _ON_COMMIT
            and isinstance(holder, cst.Arg)
            and holder.keyword is None
        )

    def elsewhere(self, node: cst.CSTNode, holder: cst.CSTNode | None) -> str:
        """Where a value goes that the flow does not follow, for a message."""
        if isinstance(holder, cst.Return):
            return "returned"
        if isinstance(holder, cst.Arg):
            call = self.tree.parent(holder)
            if isinstance(call, cst.Call):
                return f"passed to {label(call.func)}(...)"
        if isinstance(holder, cst.Element | cst.DictElement | cst.StarredElement):
            return "put in a collection"
        if isinstance(holder, cst.Yield):
            return "yielded"
        if isinstance(holder, cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp):
            return "collected by a comprehension"
        if isinstance(holder, cst.Lambda):
            return "returned from a lambda"
        if isinstance(holder, cst.Attribute):
            return f"read as {label(holder)}"
        if isinstance(node, cst.Name):
            for outer in self.tree.ancestors(node):
                if isinstance(outer, cst.Param):
                    return _PARAMETER
                if isinstance(outer, cst.For | cst.CompFor | cst.With | cst.ExceptHandler):
                    return _LOOP
                if isinstance(outer, cst.BaseStatement | cst.BaseSmallStatement):
                    break
        return "used in an expression this rule does not follow"

    def lookup_local(self, node: cst.Name) -> Local | None:
        for holder in self.tree.ancestors(node):
            if isinstance(holder, _SCOPES):
                if isinstance(holder, cst.FunctionDef):
                    return self.locals.get((id(holder), node.value))
                return None
        return None


_CHORD = "celery.chord"
_LINK_KEYWORDS = ("link", "link_error")
_CALLBACKS = ("link", "link_error", "on_error")
_HOLDS = {CANVAS: "canvas", PARTS: "a list of steps", HANDLE: "a workflow's handle"}
_PARAMETER = "a parameter of its function"
_LOOP = "bound by a loop or a with/except clause"
_BINDERS = (_PARAMETER, _LOOP)


def _mutated(node: cst.CSTNode) -> str | None:
    """``v`` for the statement ``v.set(...)`` / ``v.link(...)`` / ``v.on_error(...)``."""
    if not isinstance(node, cst.Call):
        return None
    method = method_call(node)
    if method is None or method[1] not in _MUTATORS or not isinstance(method[0], cst.Name):
        return None
    return method[0].value


def receiver_of(node: cst.CSTNode) -> cst.BaseExpression | None:
    method = method_call(node) if isinstance(node, cst.Call) else None
    return method[0] if method is not None else None


def _extended(call: cst.CSTNode | None, tree: Tree) -> str | None:
    """``v`` for the statement ``v.append(x)`` / ``v.extend(x)``."""
    if not isinstance(call, cst.Call) or len(call.args) != 1:
        return None
    method = method_call(call)
    if method is None or method[1] not in ("append", "extend"):
        return None
    if not isinstance(method[0], cst.Name) or not isinstance(tree.parent(call), cst.Expr):
        return None
    return method[0].value


def extended_method(node: cst.CSTNode, tree: Tree) -> str | None:
    """``append`` or ``extend``: what the APPEND site ``node`` does to its list."""
    holder = tree.parent(node)
    if isinstance(holder, cst.AugAssign):
        return "extend"
    call = tree.parent(holder) if holder is not None else None
    method = method_call(call) if isinstance(call, cst.Call) else None
    return method[1] if method is not None else None
