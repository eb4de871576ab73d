"""WC303: the app-wide task base class, ``Celery(task_cls=...)``.

Celery gives every task of the app the ``task_cls`` class as its base, hooks included.
weft_compat reads the same from one setting, ``WEFT_COMPAT["TASK_CLASS"]``, a dotted
path to a ``WeftTaskBase`` subclass. The codemod cannot write settings, so each place
the class is chosen is reported with the setting to add: ``Celery(task_cls=...)`` and a
``task_cls`` attribute of a ``Celery`` subclass.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.facts import CELERY_APP_CLASSES
from weft_compat.codemod.rules._shared import keyword_name, string_value
from weft_compat.codemod.rules.base import Rule
from weft_compat.codemod.rules.task_base_classes import class_attribute

CODE = "WC303"
DESCRIPTION = 'Celery(task_cls=...) → WEFT_COMPAT["TASK_CLASS"] = "dotted.path"'
TASK_CLS = "task_cls"


class TaskCls(Rule):
    """Reports the app-wide task class with the setting that replaces it."""

    NAME = "task_cls"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "task-classes.md#wc303-task_cls"
    WHY = "the app-wide base class moves to a setting, which the codemod does not write."

    def _path(self, value: cst.BaseExpression) -> str | None:
        """The dotted path of the class ``value`` names, as the setting spells it."""
        text = string_value(value)
        if text is not None:
            return text.replace(":", ".")
        return self.context.qualified_name(value)

    def _report(self, node: cst.CSTNode, where: str, value: cst.BaseExpression) -> None:
        path = self._path(value)
        setting = f'WEFT_COMPAT["TASK_CLASS"] = {path!r}' if path else 'WEFT_COMPAT["TASK_CLASS"]'
        moved = path is not None and self.context.index.is_weft_class(path)
        tail = (
            ""
            if moved or path is None
            else f"; {path} must be a weft_compat.WeftTaskBase subclass (the codemod did not "
            "move it)"
        )
        self.report(
            node,
            f"{where} gives every task of the app its base class, hooks included; the app "
            f"goes, so set {setting} in the settings, or the tasks run without its "
            f"hooks{tail}",
        )

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.context.qualified_name(node.func)
        if qualified not in CELERY_APP_CLASSES and qualified != "celery.Celery":
            return
        for arg in node.args:
            if keyword_name(arg) == TASK_CLS:
                self._report(arg, "Celery(task_cls=...)", arg.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        celery_base = any(
            self.context.qualified_name(base.value) in ("celery.Celery", *CELERY_APP_CLASSES)
            for base in node.bases
        )
        if not celery_base or not isinstance(node.body, cst.IndentedBlock):
            return
        for statement in node.body.body:
            attribute = class_attribute(statement)
            if attribute is not None and attribute[0] == TASK_CLS:
                self._report(statement, f"{node.name.value}.task_cls", attribute[1])
