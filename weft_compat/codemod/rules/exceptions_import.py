"""WC101: ``celery.exceptions`` imports → ``weft_compat.exceptions`` where the class exists.

The time-limit exceptions and the retry ones (``Retry``, ``MaxRetriesExceededError``,
``TaskRevokedError``) mean the same in weft_compat, so ``except SoftTimeLimitExceeded:``
and ``except MaxRetriesExceededError:`` keep working. Other Celery exceptions
(``Ignore``, ``Reject``, …) have no counterpart and are reported where they are imported.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import dotted
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
    """Moves imports of the exceptions weft_compat shares with Celery."""

    NAME = "exceptions_import"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "bound-tasks.md#wc101-exceptions_import"

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
        if not set(names) <= MAPPED:
            return updated_node
        module = cst.Attribute(cst.Name("weft_compat"), cst.Name("exceptions"))
        return updated_node.with_changes(module=module)
