"""WC113: ``self.request`` attributes with a weft_compat equivalent under another name.

A bound task's ``self.request`` (and ``current_task.request``) carries ``id``,
``task``, ``args``, ``kwargs``, ``retries``, ``called_directly``, ``is_eager`` and
``headers`` under Celery's names. ``self.request.correlation_id`` is the task id in
Celery's protocol, so it becomes ``self.request.id``. The other attributes Celery's
request has and weft_compat's lacks are reported by ``request_reads`` (WC214).
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext, dotted
from weft_compat.codemod.rules._shared import keyword_name, task_decorator
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_base_classes import is_task_root, task_class

CODE = "WC113"
DESCRIPTION = "self.request.correlation_id → self.request.id (the task id under another name)"
# What ``TaskRequest`` has, by Celery's names.
SUPPORTED = frozenset(
    {"id", "task", "args", "kwargs", "retries", "called_directly", "is_eager", "headers"}
)
RENAMED = {"correlation_id": "id"}
CURRENT_TASKS = frozenset({"celery.current_task", "weft_compat.current_task"})


class RequestScope(Rule):
    """A rule base that knows which names hold a task's ``self`` where the walk is."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._selves: list[str | None] = [None]
        self._task_classes = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        found = task_class(self.context, node) if not self._task_classes else None
        rooted = any(b.keyword is None and is_task_root(self.context, b.value) for b in node.bases)
        self._task_classes += 1 if (found is not None or rooted or self._task_classes) else 0

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._task_classes = max(0, self._task_classes - 1)
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = [*node.params.posonly_params, *node.params.params]
        first = params[0].name.value if params else None
        bound = self._task_classes > 0 or any(
            (match := task_decorator(self.context, decorator)) is not None
            and match[1] is not None
            and any(
                keyword_name(arg) == "bind" and dotted(arg.value) == "True" for arg in match[1].args
            )
            for decorator in node.decorators
        )
        self._selves.append(first if bound else self._selves[-1])

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._selves.pop()
        return updated_node

    def in_task_class(self) -> bool:
        """Whether the walk is inside a task class (whose ``self`` WC209 looks after)."""
        return self._task_classes > 0

    def bound_self(self) -> str | None:
        """The name a bound task's ``self`` has where the walk is, if any."""
        return self._selves[-1]

    def is_request(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is a task's request: ``self.request``, ``current_task.request``."""
        if not isinstance(node, cst.Attribute) or node.attr.value != "request":
            return False
        owner = node.value
        if isinstance(owner, cst.Name) and owner.value == self._selves[-1]:
            return True
        return self.context.qualified_name(owner) in CURRENT_TASKS


class RequestAttributes(RequestScope):
    """Renames request attributes that have an equivalent."""

    NAME = "request_attributes"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "bound-tasks.md#wc113-request_attributes"

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        new = RENAMED.get(original_node.attr.value)
        if new is None or not self.is_request(original_node.value):
            return updated_node
        return updated_node.with_changes(attr=cst.Name(new))
