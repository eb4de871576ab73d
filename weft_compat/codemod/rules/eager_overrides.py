"""WC109: ``override_settings(CELERY_TASK_ALWAYS_EAGER=True)`` → ``immediate()``.

Celery's eager setting, overridden on a TestCase class, a test method or a ``with``
block, becomes ``weft_compat.testing.immediate()`` used the same way: a class or method
decorator (the whole class, ``setUpClass`` and ``setUpTestData`` included, as with
``override_settings``) or a ``with`` item. ``CELERY_TASK_EAGER_PROPAGATES`` becomes
``propagate=``: from the same override, from an override of the enclosing class or
method, or else from the value the project's settings modules give it.
``CELERY_TASK_EAGER_PROPAGATES`` alone, inside an eager class or method, becomes
``immediate(propagate=...)``, since the innermost mode wins. Other settings in the same
override stay in ``override_settings(...)``.

An eager override left as it is (a computed value, ``CELERY_TASK_ALWAYS_EAGER=False``, a
propagate-only override outside an eager scope) is reported by ``override_settings``
(WC302): after the migration it does nothing, so its tasks would be submitted to Weft.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.facts import EAGER_PROPAGATES
from weft_compat.codemod.rules._shared import head_name, kept_args, keyword_arg, keyword_name
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.override_settings import is_override

CODE = "WC109"
DESCRIPTION = "override_settings(CELERY_TASK_ALWAYS_EAGER=True) → @immediate() / with immediate()"
EAGER = frozenset({"CELERY_TASK_ALWAYS_EAGER", "CELERY_ALWAYS_EAGER"})
TESTING = "weft_compat.testing"
_BOOLEANS = {"True": True, "False": False}


@dataclass(frozen=True)
class Override:
    """The eager settings of one override call, and where its arguments are."""

    eager: bool | None
    propagate: bool | None
    # Positions of the eager arguments, which the rewrite removes.
    removed: frozenset[int]

    def keeps_settings(self, call: cst.Call) -> bool:
        """Whether other settings stay in ``override_settings(...)``."""
        return len(call.args) > len(self.removed)


def read_override(context: FileContext, call: cst.Call) -> Override | None:
    """The eager settings ``call`` overrides; None if it is no override, overrides no
    eager setting, or one that cannot be read (a computed value, ``**settings``)."""
    if not is_override(context, call.func):
        return None
    eager = propagate = None
    removed = set()
    for position, arg in enumerate(call.args):
        name = keyword_name(arg)
        if name is None:
            if arg.star:
                return None
            continue
        if name in EAGER or name in EAGER_PROPAGATES:
            value = _BOOLEANS.get(arg.value.value) if isinstance(arg.value, cst.Name) else None
            if value is None:
                return None
            removed.add(position)
            if name in EAGER:
                eager = value
            else:
                propagate = value
    if not removed:
        return None
    return Override(eager, propagate, frozenset(removed))


@dataclass(frozen=True)
class Plan:
    """What one override call becomes: ``immediate(...)`` (unless it only adds its
    propagate to a sibling's), then the override with the remaining settings, if any."""

    override: Override
    immediate: bool
    # propagate= for immediate(), None to leave the default.
    propagate: bool | None


@dataclass(frozen=True)
class _Scope:
    """What enclosing classes, methods and with blocks made of eager calls."""

    eager: bool = False
    propagate: bool | None = None


class EagerOverrides(Rule):
    """Rewrites eager-mode overrides in tests to the immediate test mode."""

    NAME = "eager_overrides"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "testing.md#wc109-eager_overrides"
    WHY = (
        "the override's value is computed or its scope is not a test the immediate mode can "
        "decorate."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._scopes = [_Scope()]
        # Override calls by id: rewritten in place, or split in two by their parent.
        self._in_place: dict[int, Plan] = {}
        self._split: dict[int, Plan] = {}
        self._split_parents: set[int] = set()

    def _plan(self, calls: list[cst.Call], node: cst.CSTNode) -> None:
        """Plan the overrides among ``calls``, which apply together to ``node``."""
        outer = self._scopes[-1]
        read = [(call, read_override(self.context, call)) for call in calls]
        overrides = [(call, override) for call, override in read if override is not None]
        explicit = next((o.propagate for _, o in overrides if o.propagate is not None), None)
        eager_here = any(override.eager for _, override in overrides)
        propagate = explicit if explicit is not None else outer.propagate
        for call, override in overrides:
            if override.eager:
                plan = Plan(override, True, self._propagate(call, propagate, explicit))
            elif override.eager is None and eager_here:
                plan = Plan(override, False, None)  # its propagate goes to the sibling
            elif override.eager is None and outer.eager:
                plan = Plan(override, True, override.propagate)
            else:
                continue  # not eager: reported by override_settings (WC302)
            for position in override.removed:
                self.context.claim(call.args[position])
            if override.keeps_settings(call) or not plan.immediate:
                self._split[id(call)] = plan
                self._split_parents.add(id(node))
            else:
                self._in_place[id(call)] = plan
        self._scopes.append(_Scope(outer.eager or eager_here, propagate))

    def _propagate(self, call: cst.Call, value: bool | None, explicit: bool | None) -> bool | None:
        if explicit is not None:
            return explicit
        if value is not None:
            return value or None
        default = self.context.index.default_propagate()
        if default is None:
            self.report(
                call,
                "CELERY_TASK_EAGER_PROPAGATES is set to different or computed values in the "
                "settings modules, so immediate() here does not re-raise the task's error; "
                "pass propagate=True if these tests expect it",
            )
        return default or None

    def _decorated(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        calls = [d.decorator for d in node.decorators if isinstance(d.decorator, cst.Call)]
        self._plan(calls, node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._decorated(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._decorated(node)

    def visit_With(self, node: cst.With) -> None:
        calls = [
            item.item
            for item in node.items
            if isinstance(item.item, cst.Call) and item.asname is None
        ]
        self._plan(calls, node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        return self._leave_decorated(original_node, updated_node)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return self._leave_decorated(original_node, updated_node)

    def _leave_decorated[D: (cst.FunctionDef, cst.ClassDef)](self, original: D, updated: D) -> D:
        self._scopes.pop()
        if id(original) not in self._split_parents:
            return updated
        decorators: list[cst.Decorator] = []
        for before, after in zip(original.decorators, updated.decorators, strict=True):
            plan = self._split.get(id(before.decorator))
            if plan is None:
                decorators.append(after)
                continue
            assert isinstance(after.decorator, cst.Call)  # the plan was made for a call
            new = [cst.Decorator(call) for call in self._replacement(after.decorator, plan)]
            if new:
                new[0] = new[0].with_changes(leading_lines=after.leading_lines)
            decorators += new
        return updated.with_changes(decorators=decorators)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        self._scopes.pop()
        if id(original_node) not in self._split_parents:
            return updated_node
        items: list[cst.WithItem] = []
        for before, after in zip(original_node.items, updated_node.items, strict=True):
            plan = self._split.get(id(before.item))
            if plan is None:
                items.append(after)
                continue
            assert isinstance(after.item, cst.Call)  # the plan was made for a call
            items += [cst.WithItem(call) for call in self._replacement(after.item, plan)]
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        last = updated_node.items[-1].comma
        items = [item.with_changes(comma=space) for item in items[:-1]] + [
            items[-1].with_changes(comma=last)
        ]
        return updated_node.with_changes(items=items)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self._in_place.get(id(original_node))
        if plan is None:
            return updated_node
        (immediate,) = self._replacement(updated_node, plan)
        return immediate

    def _replacement(self, call: cst.Call, plan: Plan) -> list[cst.Call]:
        """``immediate(...)`` if planned, then the override with what else it sets."""
        calls = []
        if plan.immediate:
            self.add_import(TESTING, "immediate")
            args = [] if plan.propagate is None else [_propagate_arg(plan.propagate)]
            calls.append(cst.Call(cst.Name("immediate"), args))
        if plan.override.keeps_settings(call):
            calls.append(call.with_changes(args=kept_args(call.args, plan.override.removed)))
        else:
            local = head_name(call.func)
            if local is not None and local != "self":
                self.drop_import(local)
        return calls


def _propagate_arg(value: bool) -> cst.Arg:
    return keyword_arg("propagate", cst.Name("True" if value else "False"))
