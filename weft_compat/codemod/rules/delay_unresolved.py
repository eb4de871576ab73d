"""WC201: ``.delay`` / ``.apply_async`` sites the codemod does not rewrite, each with why.

Four reasons: the receiver is not a task the index knows (a wrapper, a task from
another package, ``self``), the task stays on Celery (its decorator keeps an option
``@weft_task`` refuses, such as ``base=``), the method is referenced rather than called (a callback,
``map(task.delay, ...)``, stored for later), or ``.delay`` passes a Celery option
name the task has no parameter for (Celery hands it to the task as an argument). That
last one was a bug under Celery, so it is not rewritten either way; the report says
how to pass the option if it was meant: ``task.using(countdown=...).enqueue(...)``.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import REFUSED_CALL_OPTIONS, keyword_name, method_call
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.delay import misplaced_options

CODE = "WC201"
DESCRIPTION = ".delay/.apply_async not rewritten: unknown receiver, not called, or misused options"
_METHODS = frozenset({"delay", "apply_async"})
_MISPLACED = (
    "the keyword is a Celery call option, which .delay hands to the task as an argument, "
    "and the task has no such parameter, so the call was a bug under Celery."
)


class DelayUnresolved(Rule):
    """Flags dispatch sites that stay as they are."""

    NAME = "delay_unresolved"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc201-delay_unresolved"
    WHY = (
        "the receiver is not a task the codemod found as a weft task, the method is not "
        "called, or .delay passes a Celery option name the task has no parameter for."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._called: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is not None and method[1] == "apply" and self.context.task(method[0]):
            self.report(
                node,
                f"{dotted(method[0]) or _short(method[0])}.apply(...) runs the task inline and "
                "returns an EagerResult under Celery; a weft task has no apply(): call it as "
                "a function, or enqueue it inside weft_compat.testing.immediate()",
                why="a weft task has no apply(), and its two replacements differ in what they "
                "return, so the choice is a person's.",
            )
            return
        if method is None or method[1] not in _METHODS:
            return
        self._called.add(id(node.func))
        if self.context.is_claimed(node.func):
            return
        receiver, name = method
        if (
            self.context.helper_parameter(receiver) is not None
            and self.context.task(receiver) is None
        ):
            return  # the helper is reported once (dispatch_helpers, WC216)
        label = dotted(receiver) or _short(receiver)
        task = self.context.task(receiver)
        kept = self.context.kept_on_celery(receiver) if task is None else None
        if kept is not None:
            self.report(
                node,
                f"{label}.{name}(...) was not rewritten: {label} stays a Celery task ({kept}); "
                "its calls move to .enqueue(...) once its decorator is migrated",
                why=f"{label} is a task the codemod keeps on Celery ({kept}), and a task's "
                "calls follow the task.",
            )
        elif task is None:
            self.report(
                node,
                f"{label}.{name}(...) was not rewritten: {label!r} is not a task the codemod "
                f"found; if it is one, change it to {label}.enqueue(...) by hand",
                why=f"{label!r} does not resolve to a task the index found (a local value, an "
                "attribute, or a task defined outside the paths given).",
            )
        elif name == "delay":
            for arg in misplaced_options(node, task):
                self._misplaced(arg, label)

    def _misplaced(self, arg: cst.Arg, label: str) -> None:
        option = keyword_name(arg) or ""
        problem = (
            f"{label}.delay(..., {option}=...) passes {option!r} to the task as an argument "
            f"(Celery never applied it as an option) and {label} has no such parameter"
        )
        reason = REFUSED_CALL_OPTIONS.get(option)
        if reason is None:
            self.report(
                arg,
                f"{problem}; if the option was meant, write "
                f"{label}.using({option}=...).enqueue(...), otherwise drop it",
                why=_MISPLACED,
            )
        else:
            self.report(
                arg,
                f"{problem}, and .using(...) does not take it either: {reason}",
                f"calling.md#{option}",
                why=_MISPLACED,
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = node.attr.value
        if name not in _METHODS or id(node) in self._called or self.context.is_claimed(node):
            return
        if self.context.helper_parameter(node.value) is not None:
            return  # the helper is reported once (dispatch_helpers, WC216)
        label = dotted(node.value) or _short(node.value)
        self.report(
            node,
            f"{label}.{name} is referenced but not called here (a callback, map(), stored); "
            f"pass {label}.enqueue instead, or a function that calls it",
            why="the method is referenced rather than called here, so there is no call to "
            "rewrite and whatever calls it later is not known.",
        )


def _short(node: cst.BaseExpression) -> str:
    """The code of ``node``, shortened for a message."""
    code = " ".join(cst.Module([]).code_for_node(node).split())
    return code if len(code) <= 40 else code[:37] + "..."
