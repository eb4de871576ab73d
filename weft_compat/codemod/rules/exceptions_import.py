"""WC101: ``celery.exceptions`` names → ``weft_compat.exceptions`` where the class exists.

The time-limit exceptions and the retry ones (``Retry``, ``MaxRetriesExceededError``,
``TaskRevokedError``) mean the same in weft_compat, so ``except SoftTimeLimitExceeded:``
and ``except MaxRetriesExceededError:`` keep working. Both spellings move alike:
``from celery.exceptions import Retry`` and ``exceptions.Retry`` after
``from celery import exceptions`` (or ``celery.exceptions.Retry``). Other Celery
exceptions (``Ignore``, ``Reject``, …) have no counterpart and are reported.

In a module where some task stays in Celery form (kept by an option, or made by a
decorator the codemod does not recognise), the exceptions stay Celery's too: that
task's ``autoretry_for=`` and ``except`` clauses would otherwise stop matching what
Celery raises. The import is reported instead.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._shared import dotted, head_name
from weft_compat.codemod.rules.base import Rule

CODE = "WC101"
DESCRIPTION = "celery.exceptions imports → weft_compat.exceptions (time limits, retries)"
CELERY_EXCEPTIONS = "celery.exceptions"
WEFT_EXCEPTIONS = "weft_compat.exceptions"
MAPPED = frozenset(
    {
        "SoftTimeLimitExceeded",
        "TimeLimitExceeded",
        "Retry",
        "MaxRetriesExceededError",
        "TaskRevokedError",
    }
)
_ADVICE = {
    "Ignore": "return early from the task instead",
    "Reject": "raise an exception or return early instead",
}


def _module(node: cst.ImportFrom) -> str | None:
    if node.relative or node.module is None:
        return None
    return dotted(node.module)


class ExceptionsImport(Rule):
    """Moves the exceptions weft_compat shares with Celery, by import or by attribute."""

    NAME = "exceptions_import"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "bound-tasks.md#wc101-exceptions_import"
    WHY = (
        "the exception has no weft_compat counterpart, or a task of the module stays in "
        "Celery form and must keep catching Celery's exceptions."
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._kept = context.index.celery_tasks_of(context.facts)
        self._reported_kept = False

    def _keep(self, node: cst.CSTNode, what: str) -> bool:
        """Whether Celery's exceptions stay in this module; reported once."""
        if self._kept is None:
            return False
        if not self._reported_kept:
            self._reported_kept = True
            self.report(
                node,
                f"{what} stays Celery's: {self._kept}, and its autoretry_for= and except "
                "clauses must keep matching what Celery raises; it moves to "
                "weft_compat.exceptions once the module's tasks are migrated",
            )
        return True

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if _module(original_node) != CELERY_EXCEPTIONS or isinstance(
            updated_node.names, cst.ImportStar
        ):
            return updated_node
        aliases = original_node.names
        assert not isinstance(aliases, cst.ImportStar)  # same shape as updated_node
        names = [dotted(alias.name) or "" for alias in aliases]
        for alias, name in zip(aliases, names, strict=True):
            if name not in MAPPED:
                advice = _ADVICE.get(name, "weft_compat has no counterpart")
                self.report(alias, f"celery.exceptions.{name} is not migrated: {advice}")
        if not set(names) <= MAPPED or self._keep(original_node, "celery.exceptions"):
            return updated_node
        module = cst.Attribute(cst.Name("weft_compat"), cst.Name("exceptions"))
        return updated_node.with_changes(module=module)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        # ``exceptions.Retry`` / ``celery.exceptions.Retry``: the module imported whole.
        qualified = self.context.qualified_name(original_node)
        if qualified is None or qualified.rpartition(".")[0] != CELERY_EXCEPTIONS:
            return updated_node
        name = original_node.attr.value
        if name not in MAPPED:
            advice = _ADVICE.get(name, "weft_compat has no counterpart")
            self.report(original_node, f"celery.exceptions.{name} is not migrated: {advice}")
            return updated_node
        if self._keep(original_node, f"celery.exceptions.{name}"):
            return updated_node
        local = head_name(original_node)
        if local is not None:
            self.drop_import(local)
        self.add_import(WEFT_EXCEPTIONS)
        exceptions = cst.Attribute(cst.Name("weft_compat"), cst.Name("exceptions"))
        return cst.Attribute(exceptions, cst.Name(name))
