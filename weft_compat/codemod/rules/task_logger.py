"""WC114: Celery's ``get_task_logger`` becomes ``weft_compat.get_task_logger``.

``weft_compat.get_task_logger(name)`` is a ``logging`` logger whose records carry the
running call's ``task_id`` and ``task_name``, as Celery's does, so
``logger = get_task_logger(__name__)`` and every ``logger.info(...)`` keep working:
``from celery.utils.log import get_task_logger`` is rewritten to import it from
``weft_compat``. An import that also names another ``celery.utils.log`` helper
(``get_logger``, ``LoggingProxy``, …) is left whole, and ``celery_imports`` (WC211)
reports it.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._shared import dotted
from weft_compat.codemod.rules.base import Rule

CODE = "WC114"
DESCRIPTION = "from celery.utils.log import get_task_logger → from weft_compat import ..."
LOG_MODULE = "celery.utils.log"
NAME = "get_task_logger"


def moves(node: cst.ImportFrom) -> bool:
    """Whether the import is ``get_task_logger`` (aliased or not) from Celery, alone."""
    if node.relative or node.module is None or dotted(node.module) != LOG_MODULE:
        return False
    if isinstance(node.names, cst.ImportStar):
        return False
    return all(dotted(alias.name) == NAME for alias in node.names)


class TaskLogger(Rule):
    """Imports ``get_task_logger`` from weft_compat instead of Celery."""

    NAME = "task_logger"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "logging.md#wc114-task_logger"
    WHY = "the import names other celery.utils.log helpers, which have no counterpart."

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if not moves(original_node):
            return updated_node
        return updated_node.with_changes(module=cst.Name("weft_compat"))
