"""WC301: ``CELERY_*`` Django settings, each with what it becomes.

Only ``CELERY_TASK_ALWAYS_EAGER`` (a test mode) and ``CELERY_TASK_TIME_LIMIT`` (a
default timeout) have counterparts; broker and result-backend settings have none,
since Weft brings its own broker. Beat settings are reported by ``beat`` (WC206), and a
``CELERY_TIMEZONE`` that ``beat_schedule`` (WC115) moves into ``WEFT_COMPAT`` is not
reported.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._settings_map import advice, setting_key
from weft_compat.codemod.rules.base import Rule

CODE = "WC301"
DESCRIPTION = "CELERY_* settings, each with its WEFT_COMPAT mapping or removal"
DJANGO_SETTINGS = "django.conf.settings"


class Settings(Rule):
    """Flags Celery settings where they are defined and where code reads them."""

    NAME = "settings"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "settings.md#wc301-settings"
    WHY = "a Django setting is for a person to move: the codemod does not write settings."

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._depth -= 1
        return updated_node

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._depth:
            return  # assignments in functions are test overrides (override_settings rule)
        if self.context.is_claimed(node):
            return  # moved into WEFT_COMPAT (CELERY_TIMEZONE, by beat_schedule, WC115)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._flag(target.target, target.target.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self._depth and isinstance(node.target, cst.Name):
            self._flag(node.target, node.target.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.context.qualified_name(node.value) == DJANGO_SETTINGS:
            key = setting_key(node.attr.value)
            if key is not None:
                self.report(node, f"settings.{node.attr.value} is used here: {advice(key)}")

    def _flag(self, node: cst.CSTNode, name: str) -> None:
        key = setting_key(name)
        if key is not None:
            self.report(node, f"{name}: {advice(key)}")
