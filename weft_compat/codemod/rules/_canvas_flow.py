"""The canvas of one module, read before the rules' walk: what each site becomes, or why
it stays Celery's.

Sites and the names they flow through (``_canvas_sites``) are read (``_canvas_read``),
and the names checked: every mention accounted for, nothing taking a value before
Celery's in-place ``append``/``set``/``link`` would change it. Sites and names that
share a value form one workflow, rewritten whole or not at all: a rewrite that changed
a signature but not the code calling ``.delay()`` on it would break at run time, so
one part that cannot be rewritten keeps them all on Celery, each reported (WC205) with
that part's reason. The plan then says how each rewritten primitive is spelled and
which imports go.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._canvas_handles import read_handle
from weft_compat.codemod.rules._canvas_read import HANDLE, PARTS, Reader
from weft_compat.codemod.rules._canvas_shapes import (
    CANVAS,
    CHAIN,
    CHORD,
    FAR,
    GROUP,
    HANDLES,
    Action,
    Apply,
    CanvasFailed,
    Exists,
    Failure,
    Primitive,
    Restore,
    label,
    merge,
)
from weft_compat.codemod.rules._canvas_sites import (
    APPEND,
    AUG,
    BIND,
    BOUND,
    DISCARD,
    ESCAPE,
    HARMLESS,
    MUTATE,
    READ,
    RECEIVER,
    TARGET,
    Local,
    Site,
    Sites,
    extended_method,
    receiver_of,
)
from weft_compat.codemod.rules._canvas_tree import Tree, read_tree
from weft_compat.codemod.rules._shared import head_name, mentioned_names

_WEFT = "weft_compat"
_HANDLE_NAME = "WorkflowSubmission"
_LOOPS = (cst.For, cst.While)
_CELERY_MODULES = frozenset({"celery", "celery.canvas"})


@dataclass(frozen=True)
class Report:
    """A site as the flag (WC205) sees it."""

    node: cst.CSTNode
    label: str
    rewritten: bool
    failure: Failure | None
    # Whether the failure is in this site (else in another part of its workflow).
    inside: bool = True
    enqueued: bool = False


@dataclass
class CanvasPlan:
    """What the rewrite (WC118) changes in one module, and what the flag (WC205) reports."""

    actions: dict[int, Action] = field(default_factory=dict)
    # Original nodes other rules leave alone once the rewrite runs, and those they leave
    # alone in any case (a canvas dispatch is no unknown task's, WC201).
    claimed: set[int] = field(default_factory=set)
    silenced: set[int] = field(default_factory=set)
    reports: dict[int, Report] = field(default_factory=dict)
    imports: set[tuple[str, str | None]] = field(default_factory=set)
    outright: set[str] = field(default_factory=set)
    drops: Counter[str] = field(default_factory=Counter)
    # Whether the rewrite runs on this module (set by it).
    applied: bool = False


def canvas_plan(context: FileContext, module: cst.Module) -> CanvasPlan:
    """The plan for ``module``, read once per file whichever canvas rule asks first."""
    known = context.shared.get(__name__)
    if isinstance(known, CanvasPlan):
        return known
    plan = CanvasPlan()
    tree = read_tree(context, module) if context.facts.spells_canvas else None
    if tree is not None and tree.starts:
        flow = _Flow(context, tree, module)
        flow.collect()
        flow.check()
        plan = flow.plan()
    context.shared[__name__] = plan
    return plan


class _Flow(Sites):
    """Checks the sites and names of one module, and plans their rewrite."""

    def __init__(self, context: FileContext, tree: Tree, module: cst.Module) -> None:
        super().__init__(context, tree)
        self.module = module
        self._computing: set[tuple[int, str]] = set()

    def lookup(self, node: cst.Name) -> str | None:
        """What the name ``node`` holds: a canvas kind, PARTS or HANDLE; None if unknown."""
        local = self.lookup_local(node)
        if local is None or not local.bindings:
            return None  # a parameter's, a global's: given its value out of sight
        if local.holds != CANVAS:
            return local.holds
        return self.kind(local)

    def kind(self, local: Local) -> str:
        """The canvas kind a name holds: one for all its bindings, else CANVAS."""
        if local.kind is not None:
            return local.kind
        key = (id(local.scope), local.name)
        if key in self._computing:
            return CANVAS
        self._computing.add(key)
        kinds = [self.binding_kind(site) for site in local.bindings if site.context != AUG]
        self._computing.discard(key)
        if len(kinds) < len(local.bindings):  # ``v |= step`` chains onto what v held
            kinds.append(CANVAS if GROUP in kinds or CHORD in kinds else CHAIN)
        local.kind = merge(kinds)
        return local.kind

    def binding_kind(self, site: Site) -> str:
        if site.context == AUG:
            return CHAIN
        reader = Reader(self.context, self.tree, self.lookup)
        try:
            if site.restore:
                return GROUP
            if site.dispatch:
                assert isinstance(site.node, cst.Call)  # dispatches are calls
                return reader.dispatch(site.node)
            return reader.canvas(site.node)  # type: ignore[arg-type]
        except CanvasFailed:
            return CANVAS

    def check(self) -> None:
        for site in self.sites.values():
            if not site.enqueued:
                self.read(site)
        # Per name: the mentions the sites read, and those they account for otherwise.
        reads: dict[tuple[int, str], list[tuple[Site, cst.Name]]] = {}
        marked: dict[tuple[int, str], set[int]] = {}
        for site in self.sites.values():
            for read in site.reader.reads if site.reader is not None else ():
                local = self.lookup_local(read)
                if local is not None:
                    reads.setdefault((id(local.scope), local.name), []).append((site, read))
            if site.scope is None or site.name is None:
                continue
            key = (id(site.scope), site.name)
            local = self.locals.get(key)
            if local is None:
                continue
            if site.context in (RECEIVER, HARMLESS) or (
                site.context == TARGET and self.aug_target(site, local)
            ):
                marked.setdefault(key, set()).add(id(site.node))
            elif site.context == MUTATE:
                receiver = receiver_of(site.node)
                assert receiver is not None  # the statement v.set(...)
                marked.setdefault(key, set()).add(id(receiver))
        for key, local in self.locals.items():
            self.check_local(local, reads.get(key, []), marked.get(key, set()))

    def read(self, site: Site) -> None:
        reader = site.reader = Reader(self.context, self.tree, self.lookup)
        node = site.node
        try:
            if site.context in (TARGET, RECEIVER, HARMLESS):
                return
            if site.restore:
                assert isinstance(node, cst.Call)
                reader.restore(node)
                kind = GROUP
            elif site.dispatch:
                assert isinstance(node, cst.Call)
                kind = reader.dispatch(node)
            elif site.context == MUTATE:
                assert isinstance(node, cst.Call)
                statement = self.tree.parent(node)
                assert isinstance(statement, cst.Expr)
                reader.mutation(node, statement)
                return
            elif site.context == APPEND and extended_method(node, self.tree) == "extend":
                reader.parts(node)  # type: ignore[arg-type]
                return
            elif self.listish(node):
                reader.parts(node)  # type: ignore[arg-type]
                kind = PARTS
            else:
                kind = reader.canvas(node)  # type: ignore[arg-type]
            applied = reader.actions.get(id(node))
            if isinstance(applied, Apply) and applied.task and site.context != DISCARD:
                # The value was the task's handle, which the other rules read as one
                # (async_result, WC107); a step's enqueue gives a workflow's.
                raise CanvasFailed(
                    Failure(
                        node,
                        "its value, the task's handle, is kept; with its callbacks the call "
                        "becomes a workflow, whose handle answers differently: start it in a "
                        "statement of its own",
                        HANDLES,
                    )
                )
            if site.context == READ:
                holder = self.tree.parent(node)
                assert isinstance(holder, cst.Attribute)
                read_handle(reader, holder, kind, site.scope)
            elif site.context in (ESCAPE, BOUND):
                site.failure = self.escaped(site, kind)
        except CanvasFailed as failed:
            site.failure = failed.failure

    def escaped(self, site: Site, kind: str) -> Failure:
        where = site.where
        if site.dispatch or site.restore:
            return Failure(
                site.node,
                f"its handle is {where}, out of this rule's sight, and a WorkflowSubmission "
                "answers differently from Celery's result (.wait() for .get(), .id names the "
                "workflow)",
                HANDLES,
            )
        what = "a list of steps" if kind == PARTS else f"a {kind}" if kind != CANVAS else "canvas"
        node = site.node
        if site.context == BOUND and isinstance(node, cst.Name):
            return Failure(
                node, f"{node.value!r} is also {where}, a value from out of this rule's sight", FAR
            )
        subject = f"{node.value!r} holds" if isinstance(node, cst.Name) else "it builds"
        return Failure(
            node,
            f"{subject} {what} that is {where}, out of this rule's sight; steps have no "
            ".delay() or .apply_async(), so the code that runs it has to change with it",
            FAR,
        )

    def check_local(
        self, local: Local, reads: list[tuple[Site, cst.Name]], marked: set[int]
    ) -> None:
        mentions = self.mentions(local)
        tree = self.tree
        assigns = [tree.parent(site.node) for site in local.bindings if site.context == BIND]
        binding_targets = {
            id(target.target)
            for assign in assigns
            if isinstance(assign, cst.Assign)
            for target in assign.targets
        }
        if not local.bindings:
            local.failures.append(
                Failure(
                    mentions[0] if mentions else local.scope,
                    f"{local.name!r} is not given its value in this function",
                    FAR,
                )
            )
            return
        bound = min(tree.end(tree.parent(site.node) or site.node) for site in local.bindings)
        explained = binding_targets | marked | {id(read) for _, read in reads}
        uses = [
            read
            for site, read in reads
            if not (site.context == MUTATE and receiver_of(site.node) is read)
        ]
        if local.holds == HANDLE:
            self.check_handle(local, mentions, binding_targets)
            return
        for mention in mentions:
            if id(mention) not in explained:
                local.failures.append(
                    Failure(
                        mention,
                        f"{local.name!r} is also {self.elsewhere(mention, tree.parent(mention))}"
                        ", where this rule does not follow it",
                        FAR,
                    )
                )
                return
            if id(mention) not in binding_targets and tree.position(mention) < bound:
                local.failures.append(
                    Failure(mention, f"{local.name!r} is read before it is assigned", FAR)
                )
                return
        if local.changes:
            self.check_changes(local, uses)

    def aug_target(self, site: Site, local: Local) -> bool:
        """Whether the target of ``v |= ...`` / ``v += [...]`` is the name's own site's."""
        holder = self.tree.parent(site.node)
        return isinstance(holder, cst.AugAssign) and any(
            self.tree.parent(other.node) is holder for other in (*local.bindings, *local.changes)
        )

    def check_changes(self, local: Local, uses: list[cst.Name]) -> None:
        """Celery's ``set``/``link``/``append`` change the value in place, weft_compat's
        rewrite rebinds the name: the same only if nothing took the value before."""
        tree = self.tree
        if len(local.bindings) != 1 or local.bindings[0].context != BIND:
            local.failures.append(
                Failure(
                    local.changes[0].node,
                    f"{local.name!r} is changed in place and assigned more than once",
                    FAR,
                )
            )
            return
        assign = tree.parent(local.bindings[0].node)
        assert assign is not None
        line = tree.parent(assign)
        statements = [tree.parent(change.node) for change in local.changes]
        last = max(
            tree.end(statement or change.node)
            for statement, change in zip(statements, local.changes, strict=True)
        )
        for use in uses:
            if tree.position(use) < last:
                local.failures.append(
                    Failure(
                        use,
                        f"{local.name!r} is used before it is changed in place, which Celery's "
                        "value would show there and weft_compat's would not",
                        FAR,
                    )
                )
                return
        for change in local.changes:
            for loop in tree.ancestors(change.node):
                if loop is local.scope:
                    break
                if not isinstance(loop, _LOOPS):
                    continue
                fresh = line is not None and tree.parent(line) is loop.body
                if not fresh and any(tree.holds(loop, use) for use in uses):
                    local.failures.append(
                        Failure(
                            change.node,
                            f"{local.name!r} is changed in place in a loop that also uses it, "
                            "and is not assigned afresh in that loop",
                            FAR,
                        )
                    )
                    return

    def check_handle(
        self, local: Local, mentions: list[cst.Name], binding_targets: set[int]
    ) -> None:
        reader = local.reader = Reader(self.context, self.tree, self.lookup)
        kind = merge([self.binding_kind(site) for site in local.bindings])
        for mention in mentions:
            if id(mention) in binding_targets:
                continue
            holder = self.tree.parent(mention)
            try:
                if self.none_check(local, mention, holder, reader):
                    continue
                if not isinstance(holder, cst.Attribute) or holder.value is not mention:
                    where = self.elsewhere(mention, holder)
                    raise CanvasFailed(
                        Failure(
                            mention,
                            f"the workflow's handle {local.name!r} is {where}, out of this "
                            "rule's sight, and a WorkflowSubmission answers differently from "
                            "Celery's result",
                            HANDLES,
                        )
                    )
                read_handle(reader, holder, kind, local.scope)
            except CanvasFailed as failed:
                local.failures.append(failed.failure)
                return

    def none_check(
        self, local: Local, mention: cst.Name, holder: cst.CSTNode | None, reader: Reader
    ) -> bool:
        """``handle is None`` on a restored group's handle: Celery's restore returns None
        for an unknown id, ``WorkflowSubmission.exists()`` says so."""
        tests = isinstance(holder, cst.Comparison) and holder.left is mention
        truth = isinstance(holder, cst.If | cst.UnaryOperation | cst.BooleanOperation)
        if not (tests or truth):
            return False
        restored = all(site.restore for site in local.bindings)
        if isinstance(holder, cst.Comparison) and len(holder.comparisons) == 1:
            target = holder.comparisons[0]
            none = isinstance(target.comparator, cst.Name) and target.comparator.value == "None"
            if restored and none and isinstance(target.operator, cst.Is | cst.IsNot):
                reader.act(holder, Exists(negated=isinstance(target.operator, cst.Is)))
                return True
        if not restored:
            return False
        raise CanvasFailed(
            Failure(
                mention,
                f"{local.name!r} is tested for a value: GroupResult.restore returns None for an "
                "unknown id, while WorkflowSubmission.from_id always returns a handle; test "
                f"{local.name}.exists() (the rule rewrites `{local.name} is None` so)",
                HANDLES,
            )
        )

    # The plan.

    def plan(self) -> CanvasPlan:
        plan = CanvasPlan()
        groups = self.components()
        failures: dict[tuple[object, ...], list[Failure]] = {}
        for key, found_failure in self.failures():
            failures.setdefault(groups.find(key), []).append(found_failure)
        callees: list[tuple[cst.Call, str]] = []
        restores: list[cst.Call] = []
        for site in self.sites.values():
            if site.context in (TARGET, RECEIVER, HARMLESS, BOUND):
                continue
            node = site.node
            if site.enqueued:
                plan.reports[id(node)] = Report(node, label(node), False, None, enqueued=True)
                continue
            found = failures.get(groups.find(("site", id(node))), [])
            failure = self.reason(node, found)
            inside = failure is None or self.tree.holds(node, failure.node)
            plan.reports[id(node)] = Report(node, label(node), failure is None, failure, inside)
            plan.silenced |= self.silence(site)
            if failure is None:
                assert site.reader is not None
                plan.actions.update(site.reader.actions)
                plan.claimed |= self.claims(site)
                callees += site.reader.callees
                if site.restore:
                    assert isinstance(node, cst.Call)
                    restores.append(node)
        for local in self.locals.values():
            key = ("local", id(local.scope), local.name)
            if local.reader is not None and groups.find(key) not in failures:
                plan.actions.update(local.reader.actions)
                plan.claimed |= set(local.reader.actions)
        plan.claimed |= set(plan.actions)
        self.spell(plan, callees, restores)
        return plan

    def reason(self, node: cst.CSTNode, found: list[Failure]) -> Failure | None:
        """The failure to report for ``node``: the first inside it, else the first."""
        if not found:
            return None
        ordered = sorted(found, key=lambda failure: self.tree.position(failure.node))
        inside = [failure for failure in ordered if self.tree.holds(node, failure.node)]
        return (inside or ordered)[0]

    def silence(self, site: Site) -> set[int]:
        node = site.node
        if not isinstance(node, cst.Call) or not site.dispatch:
            return set()
        return {id(node), id(node.func)}

    def claims(self, site: Site) -> set[int]:
        node = site.node
        claimed = {id(node)}
        if isinstance(node, cst.Call):
            claimed.add(id(node.func))
        assert site.reader is not None
        for action_id in site.reader.actions:
            claimed.add(action_id)
        return claimed

    def failures(self) -> list[tuple[tuple[object, ...], Failure]]:
        found: list[tuple[tuple[object, ...], Failure]] = []
        for site in self.sites.values():
            if site.failure is not None:
                found.append((("site", id(site.node)), site.failure))
        for local in self.locals.values():
            key = ("local", id(local.scope), local.name)
            found += [(key, failure) for failure in local.failures]
        return found

    def components(self) -> _Groups:
        """Sites and names that share a value, joined."""
        groups = _Groups()
        tree = self.tree
        for site in self.sites.values():
            key = ("site", id(site.node))
            groups.find(key)
            if site.enqueued:
                continue
            if site.name is not None and site.scope is not None and site.context != ESCAPE:
                local = self.locals.get((id(site.scope), site.name))
                if local is not None:
                    groups.join(key, ("local", id(local.scope), local.name))
            if site.reader is not None:
                for read in site.reader.reads:
                    local = self.lookup_local(read)
                    if local is not None:
                        groups.join(key, ("local", id(local.scope), local.name))
            for outer in tree.ancestors(site.node):
                if id(outer) in self.sites:
                    groups.join(key, ("site", id(outer)))
                    break
        return groups

    def spell(
        self, plan: CanvasPlan, callees: list[tuple[cst.Call, str]], restores: list[cst.Call]
    ) -> None:
        """How the rewritten primitives and restores are spelled, and their imports."""
        by_name: dict[str, list[tuple[cst.Call, str]]] = {}
        for call, name in callees:
            func = call.func
            if isinstance(func, cst.Name):
                by_name.setdefault(func.value, []).append((call, name))
            else:
                plan.actions[id(call)] = Primitive(name, bare=False)
                plan.imports.add((_WEFT, None))
                local = head_name(func)
                if local is not None:
                    plan.drops[local] += 1
        for local, calls in by_name.items():
            names = {name for _, name in calls}
            callee_ids = {id(call.func) for call, _ in calls}
            switch = (
                len(names) == 1
                and self.replaceable_import(local)
                and all(id(mention) in callee_ids for mention in self.tree.mentions[local])
            )
            for call, name in calls:
                bare = switch and local == name
                plan.actions[id(call)] = Primitive(name, bare=bare)
                plan.imports.add((_WEFT, name) if bare else (_WEFT, None))
            if switch:
                plan.outright.add(local)
            else:
                plan.drops[local] += len(calls)
        for call in restores:
            bare = self.free(_HANDLE_NAME)
            action = plan.actions.get(id(call))
            assert isinstance(action, Restore)
            plan.actions[id(call)] = Restore(action.tid, bare=bare)
            plan.imports.add((_WEFT, _HANDLE_NAME) if bare else (_WEFT, None))
            local = head_name(call.func)
            if local is not None:
                plan.drops[local] += 1
            for position, arg in enumerate(call.args):
                if position != action.tid:
                    plan.drops.update(mentioned_names(arg.value))

    def replaceable_import(self, local: str) -> bool:
        """Whether ``local`` is bound once, by ``from celery import <primitive>`` on a
        top-level line of its own, which the rewrite can drop."""
        aliases = self.tree.imported.get(local, [])
        if len(aliases) != 1:
            return False
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            small = statement.body[0]
            if (
                isinstance(small, cst.ImportFrom)
                and not isinstance(small.names, cst.ImportStar)
                and aliases[0] in small.names
            ):
                return (
                    small.module is not None
                    and not small.relative
                    and (cst.Module([]).code_for_node(small.module) in _CELERY_MODULES)
                )
        return False

    def free(self, name: str) -> bool:
        """Whether the module can import ``name`` from weft_compat without a clash."""
        facts = self.context.facts
        bound = facts.imports.get(name)
        return name not in facts.defs and bound in (None, f"{_WEFT}.{name}")


class _Groups:
    """Union-find over sites and names."""

    def __init__(self) -> None:
        self._parent: dict[tuple[object, ...], tuple[object, ...]] = {}

    def find(self, key: tuple[object, ...]) -> tuple[object, ...]:
        parent = self._parent.setdefault(key, key)
        while parent != key:
            grand = self._parent[parent]
            self._parent[key] = grand
            key, parent = parent, grand
        return key

    def join(self, first: tuple[object, ...], second: tuple[object, ...]) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[a] = b


__all__ = ["CanvasPlan", "Report", "canvas_plan"]
