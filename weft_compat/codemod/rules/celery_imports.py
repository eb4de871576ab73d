"""WC211: Celery imports no other rule accounts for (``get_task_logger``, ``states``, …).

The other rules rewrite or report the names they own (``shared_task``, ``AsyncResult``,
canvas, signals, schedules, exceptions, ``Celery``, ``Task``). Everything else
imported from Celery, or from django-celery-results, is listed here, so no Celery
dependency survives unreported.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import dotted
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_logger import LOG_MODULE
from weft_compat.codemod.rules.task_logger import moves as task_logger_moves

CODE = "WC211"
DESCRIPTION = "other Celery imports (get_task_logger, states, django_celery_results, …)"
OWNED = frozenset(
    {
        "shared_task", "Celery", "Task", "current_app", "current_task", "AsyncResult",
        "GroupResult", "ResultSet", "chain", "group", "chord", "chunks", "signature",
        "Signature", "subtask", "maybe_signature", "xmap", "xstarmap", "crontab", "solar",
        "schedule",
    }
)  # fmt: skip
TASK_MODULES = frozenset({"celery", "celery.app.task"})
SIGNALS_MODULE = "celery.signals"
OWNED_MODULES = frozenset({"celery.exceptions", SIGNALS_MODULE, "celery.schedules"})
PACKAGES = frozenset({"celery", "django_celery_results"})
_ADVICE = {
    "get_task_logger": "import it from weft_compat, alone on its line (WC114)",
    "states": "WeftSubmission.state uses the same strings; compare with string literals",
    "uuid": "use uuid.uuid4()",
}


class CeleryImports(Rule):
    """Flags the Celery imports that remain after the other rules."""

    NAME = "celery_imports"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "codemod.md#wc211-celery_imports"
    WHY = "the imported Celery name has no weft_compat counterpart that another rule rewrites to."

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = dotted(node.module) or ""
        if module.partition(".")[0] not in PACKAGES or module in OWNED_MODULES:
            return
        if isinstance(node.names, cst.ImportStar):
            self.report(node, f"from {module} import * pulls in Celery; import what you use")
            return
        moved = task_logger_moves(node)
        for alias in node.names:
            name = dotted(alias.name) or ""
            if name == "Task" and module in TASK_MODULES and not self._subclassed(alias):
                self.report(
                    alias,
                    f"{module}.Task is imported but no class here derives from it (a type "
                    "annotation, an isinstance check): use weft_compat.WeftTaskBase",
                    why="only a class deriving from Task is moved onto WeftTaskBase; other "
                    "uses of the name are left to a person.",
                )
                continue
            if name in OWNED or (module == LOG_MODULE and name == "get_task_logger" and moved):
                continue
            if f"{module}.{name}" == SIGNALS_MODULE:
                continue  # ``from celery import signals``: WC117 and WC208 account for it
            advice = _ADVICE.get(name, "weft_compat has no counterpart; remove the dependency")
            self.report(alias, f"{module}.{name} is a Celery import: {advice}")

    def _subclassed(self, alias: cst.ImportAlias) -> bool:
        """Whether a module-level class of this module derives from Celery's Task."""
        index = self.context.index
        return any(
            index.canonical(base) == "celery.Task"
            for body in self.context.facts.classes.values()
            for base in body.bases
        )

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name) or ""
            if name.partition(".")[0] in PACKAGES and name not in OWNED_MODULES:
                self.report(
                    alias,
                    f"import {name} is a Celery import; remove it once the "
                    "module no longer uses Celery",
                )
