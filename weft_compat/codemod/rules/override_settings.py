"""WC302: ``CELERY_*`` overrides in tests: ``override_settings``, the pytest ``settings`` fixture.

``@override_settings(CELERY_TASK_ALWAYS_EAGER=True)`` appears in most Celery test
suites; its counterpart is the immediate test mode (a fixture, a context manager or
``WEFT_COMPAT = {"TEST_MODE": "immediate"}``), not a Django setting, so each site is
reported with the replacement.
"""

from __future__ import annotations

import libcst as cst

from weft_compat.codemod.rules._settings_map import advice, setting_key
from weft_compat.codemod.rules._shared import keyword_name
from weft_compat.codemod.rules.base import Rule

CODE = "WC302"
DESCRIPTION = "override_settings(CELERY_...=...) and settings.CELERY_... = ... in tests"
OVERRIDES = frozenset({"django.test.override_settings", "django.test.utils.override_settings"})
DJANGO_SETTINGS = "django.conf.settings"


class OverrideSettings(Rule):
    """Flags Celery settings overridden in tests."""

    NAME = "override_settings"
    CODE = CODE
    DESCRIPTION = DESCRIPTION
    GUIDE = "testing.md#wc302-override_settings"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        is_override = self.context.qualified_name(func) in OVERRIDES or (
            # ``self.settings(...)`` in a Django TestCase.
            isinstance(func, cst.Attribute)
            and func.attr.value == "settings"
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
        )
        if not is_override:
            return
        for arg in node.args:
            name = keyword_name(arg)
            key = setting_key(name) if name else None
            if key is not None:
                self.report(arg, f"{name} overridden in a test: {advice(key)}")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            expression = target.target
            if not isinstance(expression, cst.Attribute):
                continue
            key = setting_key(expression.attr.value)
            # pytest-django's ``settings`` fixture, not django.conf.settings (rule WC301).
            if key is not None and self.context.qualified_name(expression.value) != DJANGO_SETTINGS:
                self.report(node, f"{expression.attr.value} overridden in a test: {advice(key)}")
