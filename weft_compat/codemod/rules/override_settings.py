"""WC302: ``CELERY_*`` overrides in tests: ``override_settings``, the pytest ``settings`` fixture.

``@override_settings(CELERY_TASK_ALWAYS_EAGER=True)`` appears in most Celery test
suites; ``eager_overrides`` (WC109) rewrites it to the immediate test mode. What that
rule leaves, and every other ``CELERY_*`` key overridden in a test, is reported here with
what the setting becomes. An eager override left in place does nothing once the project
runs on weft_compat, so the report says its tasks would be submitted to Weft.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._settings_map import advice, setting_key
from weft_compat.codemod.rules._shared import keyword_name
from weft_compat.codemod.rules.base import Rule

CODE = "WC302"
DESCRIPTION = "override_settings(CELERY_...=...) and settings.CELERY_... = ... in tests"
OVERRIDES = frozenset({"django.test.override_settings", "django.test.utils.override_settings"})
DJANGO_SETTINGS = "django.conf.settings"
_EAGER_KEYS = frozenset({"TASK_ALWAYS_EAGER", "ALWAYS_EAGER"})
_LEFT = (
    "was not rewritten (the value is computed, False, or not inside an eager test); "
    "it does nothing on weft_compat, so the calls it made eager would be submitted to Weft"
)


def is_override(context: FileContext, func: cst.BaseExpression) -> bool:
    """Whether calling ``func`` overrides Django settings: ``override_settings`` or, in a
    Django TestCase, ``self.settings``."""
    return context.qualified_name(func) in OVERRIDES or (
        isinstance(func, cst.Attribute)
        and func.attr.value == "settings"
        and isinstance(func.value, cst.Name)
        and func.value.value == "self"
    )


class OverrideSettings(Rule):
    """Reports Celery settings overridden in tests."""

    NAME = "override_settings"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "testing.md#wc302-override_settings"
    WHY = (
        "the overridden Celery setting has no effect on weft_compat and no test-mode spelling"
        " the codemod could write."
    )

    def visit_Call(self, node: cst.Call) -> None:
        if not is_override(self.context, node.func):
            return
        for arg in node.args:
            name = keyword_name(arg)
            key = setting_key(name) if name else None
            if key is not None and not self.context.is_claimed(arg):
                self._flag(arg, f"{name} overridden in a test", key)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            expression = target.target
            if not isinstance(expression, cst.Attribute):
                continue
            key = setting_key(expression.attr.value)
            # pytest-django's ``settings`` fixture, not django.conf.settings (rule WC301).
            if key is not None and self.context.qualified_name(expression.value) != DJANGO_SETTINGS:
                self._flag(node, f"{expression.attr.value} overridden in a test", key)

    def _flag(self, node: cst.CSTNode, what: str, key: str) -> None:
        if key in _EAGER_KEYS:
            self.report(node, f"{what} {_LEFT}: {advice(key)}")
        else:
            self.report(node, f"{what}: {advice(key)}")
