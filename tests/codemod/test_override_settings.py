"""WC302 override_settings: Celery settings overridden in tests are reported."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop

RULES = ("override_settings",)


def test_decorator() -> None:
    outcome = check_flagged(
        "from django.test import override_settings\n\n"
        "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T:\n    pass\n",
        ["WC302"],
        RULES,
    )
    assert "weft_immediate" in outcome.findings[0].message


def test_context_manager_from_utils() -> None:
    check_flagged(
        "from django.test.utils import override_settings\n\n"
        "with override_settings(CELERY_ALWAYS_EAGER=True, DEBUG=1):\n    pass\n",
        ["WC302"],
        RULES,
    )


def test_self_settings() -> None:
    check_flagged(
        "class T:\n    def test(self):\n"
        "        with self.settings(CELERY_TASK_ALWAYS_EAGER=True):\n            pass\n",
        ["WC302"],
        RULES,
    )


def test_pytest_settings_fixture() -> None:
    check_flagged(
        "def test(settings):\n    settings.CELERY_TASK_ALWAYS_EAGER = True\n", ["WC302"], RULES
    )


def test_other_overrides_are_left_alone() -> None:
    check_noop(
        "from django.test import override_settings\n\n@override_settings(DEBUG=True)\n"
        "class T:\n    pass\n",
        RULES,
    )
