"""WC215: task calls whose arguments JSON cannot carry, where the codemod can tell.

Celery with a pickle serializer sent model instances, dataclasses and sets as they
were; weft_compat encodes arguments as JSON and refuses the rest when the call is
enqueued. Reported, with the fix (pass the primary key, or plain values), are the
arguments of a call of a weft task that are: a Django model instance (a name bound in
the function by ``Model.objects.get(...)``, ``get_object_or_404(...)``, ``.create``,
``.first()``, a ``for`` over ``Model.objects...``, ``request.user``, or ``self`` inside
a model's method), ``self`` (an object, or the task itself), an object built right in
the call from a project class (``Report(...)``), or a set.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import keyword_name, method_call
from weft_compat.codemod.rules.base import Rule

CODE = "WC215"
DESCRIPTION = "task calls passing arguments JSON cannot carry (model instances, objects, sets)"
_DISPATCH = frozenset({"delay", "enqueue", "apply_async"})
# Queryset methods that return one model instance.
_ONE = frozenset({"get", "create", "first", "last", "latest", "earliest", "get_or_create"})
_GET_OBJECT = frozenset({"django.shortcuts.get_object_or_404"})
_SETS = frozenset({"set", "frozenset"})
_MODEL_BASES = frozenset({"django.db.models.Model", "django.db.models.base.Model"})


def _model_lookup(node: cst.BaseExpression) -> str | None:
    """``Order.objects.get`` for ``Order.objects.get(...)`` (or a chain ending in one)."""
    if isinstance(node, cst.Subscript):
        node = node.value  # ``get_or_create(...)[0]``
    if not isinstance(node, cst.Call):
        return None
    method = method_call(node)
    if method is None or method[1] not in _ONE:
        return None
    text = cst.Module([]).code_for_node(node.func)
    return text if ".objects." in text or text.startswith("objects.") else None


class TaskArguments(Rule):
    """Reports task call arguments that would fail to encode at enqueue."""

    NAME = "task_arguments"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "calling.md#wc215-task_arguments"
    WHY = (
        "the argument is one JSON cannot carry, which the runtime refuses at enqueue; the fix"
        " changes the task's signature."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        # Per function: local name → what it holds (a model instance, ...).
        self._scopes: list[dict[str, str]] = [{}]
        # Per class: whether it is a Django model; per function: its first parameter.
        self._models: list[bool] = []
        self._selves: list[str | None] = [None]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._models.append(
            any(self.context.qualified_name(base.value) in _MODEL_BASES for base in node.bases)
        )

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._models.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = [*node.params.posonly_params, *node.params.params]
        first = params[0].name.value if params else None
        in_class = bool(self._models) and len(self._scopes) == len(self._models)
        scope: dict[str, str] = {}
        if in_class and first == "self":
            scope["self"] = "the model instance itself" if self._models[-1] else "self, an object"
        elif first == "self":
            scope["self"] = "self, the task or an object"
        self._scopes.append(scope)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        return updated_node

    def visit_Assign(self, node: cst.Assign) -> None:
        found = self._instance(node.value)
        for target in node.targets:
            expression: cst.BaseExpression = target.target
            if isinstance(expression, cst.Tuple) and expression.elements and found:
                expression = expression.elements[0].value  # ``obj, created = ...``
            if isinstance(expression, cst.Name):
                if found is not None:
                    self._scopes[-1][expression.value] = found
                else:
                    self._scopes[-1].pop(expression.value, None)

    def visit_For(self, node: cst.For) -> None:
        text = cst.Module([]).code_for_node(node.iter)
        if ".objects." in text and isinstance(node.target, cst.Name):
            self._scopes[-1][node.target.value] = f"a model instance (from {text.split('(')[0]})"

    def _instance(self, value: cst.BaseExpression) -> str | None:
        """What ``value`` evaluates to, when it is a model instance."""
        lookup = _model_lookup(value)
        if lookup is not None:
            return f"a model instance (bound by {lookup}(...))"
        if isinstance(value, cst.Call) and self.context.qualified_name(value.func) in _GET_OBJECT:
            return "a model instance (bound by get_object_or_404(...))"
        return None

    def _problem(self, value: cst.BaseExpression) -> str | None:
        """Why JSON cannot carry the argument ``value``, when the codemod can tell."""
        if isinstance(value, cst.Name):
            return self._scopes[-1].get(value.value)
        if isinstance(value, cst.Set | cst.SetComp):
            return "a set"
        if dotted(value) == "request.user":
            return "request.user, a model instance"
        if isinstance(value, cst.Call):
            qualified = self.context.qualified_name(value.func)
            if qualified is None and dotted(value.func) in _SETS:
                return "a set"  # the builtin, not shadowed by an import
            if qualified is not None and qualified in self.context.index.classes:
                return f"a {qualified.rpartition('.')[2]} object built in the call"
            return self._instance(value)
        return None

    def visit_Call(self, node: cst.Call) -> None:
        method = method_call(node)
        if method is None or method[1] not in _DISPATCH:
            return
        receiver, name = method
        if self.context.task(receiver) is None:
            return
        for value in self._arguments(node, name):
            problem = self._problem(value)
            if problem is None:
                continue
            shown = dotted(value) or cst.Module([]).code_for_node(value)
            self.report(
                value,
                f"{dotted(receiver)}.{name}(...) passes {shown}, {problem}, which JSON cannot "
                "carry: weft_compat refuses it when the call is enqueued (Celery's pickle "
                "serializer took it); pass its primary key or plain values, and load the "
                "object in the task",
            )

    def _arguments(self, call: cst.Call, method: str) -> Sequence[cst.BaseExpression]:
        if method != "apply_async":
            return [arg.value for arg in call.args if not arg.star]
        values: list[cst.BaseExpression] = []
        for position, arg in enumerate(call.args):
            slot = keyword_name(arg) or ("args", "kwargs")[min(position, 1)]
            literal = cst.List | cst.Tuple if slot == "args" else cst.Dict
            if slot in ("args", "kwargs") and isinstance(arg.value, literal):
                values += [element.value for element in arg.value.elements]
        return values
