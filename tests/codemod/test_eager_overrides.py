"""WC109 eager_overrides: eager-mode overrides in tests become the immediate test mode."""

from __future__ import annotations

import pytest

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate

RULES = ("eager_overrides",)
IMPORTS = "from django.test import TestCase, override_settings\n\n"
MIGRATED = "from django.test import TestCase\nfrom weft_compat.testing import immediate\n\n"
PROPAGATING = {"proj.settings": "CELERY_TASK_EAGER_PROPAGATES = True\n"}


def test_a_class_decorator_becomes_immediate() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T(TestCase):\n"
        "    pass\n",
        MIGRATED + "@immediate()\nclass T(TestCase):\n    pass\n",
        RULES,
    )


def test_a_method_decorator_becomes_immediate() -> None:
    check_rewritten(
        IMPORTS + "class T(TestCase):\n    @override_settings(CELERY_ALWAYS_EAGER=True)\n"
        "    def test(self):\n        pass\n",
        MIGRATED + "class T(TestCase):\n    @immediate()\n    def test(self):\n        pass\n",
        RULES,
    )


def test_a_with_block_becomes_immediate() -> None:
    check_rewritten(
        IMPORTS + "def test():\n    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):\n"
        "        run()\n",
        MIGRATED + "def test():\n    with immediate():\n        run()\n",
        RULES,
    )


def test_self_settings_in_a_testcase() -> None:
    check_rewritten(
        "class T:\n    def test(self):\n"
        "        with self.settings(CELERY_TASK_ALWAYS_EAGER=True):\n            run()\n",
        "from weft_compat.testing import immediate\nclass T:\n    def test(self):\n"
        "        with immediate():\n            run()\n",
        RULES,
    )


def test_eager_propagates_in_the_same_override_becomes_propagate() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True, "
        "CELERY_TASK_EAGER_PROPAGATES=True)\nclass T(TestCase):\n    pass\n",
        MIGRATED + "@immediate(propagate=True)\nclass T(TestCase):\n    pass\n",
        RULES,
    )


def test_the_settings_modules_give_the_default_propagate() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T(TestCase):\n"
        "    pass\n",
        MIGRATED + "@immediate(propagate=True)\nclass T(TestCase):\n    pass\n",
        RULES,
        modules=PROPAGATING,
    )


def test_settings_modules_that_disagree_are_reported() -> None:
    outcome = migrate(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T(TestCase):\n"
        "    pass\n",
        RULES,
        modules={
            "proj.settings.base": "CELERY_TASK_EAGER_PROPAGATES = False\n",
            "proj.settings.test": "CELERY_TASK_EAGER_PROPAGATES = True\n",
        },
    )
    assert outcome.new_source is not None
    assert b"@immediate()\n" in outcome.new_source
    assert [finding.code for finding in outcome.findings] == ["WC109"]
    assert "pass propagate=True if these tests expect it" in outcome.findings[0].message


def test_eager_propagates_alone_inside_an_eager_class_becomes_immediate() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T(TestCase):\n"
        "    @override_settings(CELERY_TASK_EAGER_PROPAGATES=False)\n"
        "    def test(self):\n        pass\n",
        MIGRATED + "@immediate(propagate=True)\nclass T(TestCase):\n"
        "    @immediate(propagate=False)\n    def test(self):\n        pass\n",
        RULES,
        modules=PROPAGATING,
    )


def test_eager_propagates_alone_in_a_with_block_of_an_eager_method() -> None:
    check_rewritten(
        IMPORTS + "class T(TestCase):\n    @override_settings(CELERY_TASK_ALWAYS_EAGER=True)\n"
        "    def test(self):\n"
        "        with override_settings(CELERY_TASK_EAGER_PROPAGATES=True):\n            run()\n",
        MIGRATED + "class T(TestCase):\n    @immediate()\n    def test(self):\n"
        "        with immediate(propagate=True):\n            run()\n",
        RULES,
    )


def test_an_enclosing_propagate_reaches_an_inner_eager_override() -> None:
    check_rewritten(
        "from django.test import override_settings\n\n"
        "@override_settings(CELERY_TASK_EAGER_PROPAGATES=True)\nclass T:\n"
        "    @override_settings(CELERY_TASK_ALWAYS_EAGER=True)\n    def test(self):\n"
        "        pass\n",
        "from django.test import override_settings\nfrom weft_compat.testing import immediate\n\n"
        "@override_settings(CELERY_TASK_EAGER_PROPAGATES=True)\nclass T:\n"
        "    @immediate(propagate=True)\n    def test(self):\n        pass\n",
        RULES,
    )


def test_two_decorators_on_one_class_fold_into_one_immediate() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\n"
        "@override_settings(CELERY_TASK_EAGER_PROPAGATES=True)\nclass T(TestCase):\n"
        "    pass\n",
        MIGRATED + "@immediate(propagate=True)\nclass T(TestCase):\n    pass\n",
        RULES,
    )


def test_other_settings_stay_in_the_decorator() -> None:
    check_rewritten(
        IMPORTS + "# eager for the whole class\n"
        "@override_settings(DEBUG=True, CELERY_TASK_ALWAYS_EAGER=True, LANGUAGE_CODE='fr')\n"
        "class T(TestCase):\n    pass\n",
        "from django.test import TestCase, override_settings\n"
        "from weft_compat.testing import immediate\n\n# eager for the whole class\n"
        "@immediate()\n@override_settings(DEBUG=True, LANGUAGE_CODE='fr')\n"
        "class T(TestCase):\n    pass\n",
        RULES,
    )


def test_other_settings_stay_in_the_with_item() -> None:
    check_rewritten(
        IMPORTS + "def test():\n"
        "    with override_settings(CELERY_TASK_ALWAYS_EAGER=True, DEBUG=True), lock:\n"
        "        run()\n",
        "from django.test import TestCase, override_settings\n"
        "from weft_compat.testing import immediate\n\ndef test():\n"
        "    with immediate(), override_settings(DEBUG=True), lock:\n        run()\n",
        RULES,
    )


def test_another_celery_setting_in_the_override_stays_and_is_reported() -> None:
    outcome = migrate(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True, CELERY_BROKER_URL='m://')\n"
        "class T(TestCase):\n    pass\n",
        ALL,
    )
    assert outcome.new_source is not None
    assert b"@immediate()\n@override_settings(CELERY_BROKER_URL='m://')\n" in outcome.new_source
    assert [(f.code, f.message.split(":")[0]) for f in outcome.findings] == [
        ("WC302", "CELERY_BROKER_URL overridden in a test")
    ]


def test_the_override_import_stays_while_something_else_uses_it() -> None:
    check_rewritten(
        IMPORTS + "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\nclass T(TestCase):\n"
        "    pass\n\n@override_settings(DEBUG=True)\nclass U(TestCase):\n    pass\n",
        "from django.test import TestCase, override_settings\n"
        "from weft_compat.testing import immediate\n\n@immediate()\nclass T(TestCase):\n"
        "    pass\n\n@override_settings(DEBUG=True)\nclass U(TestCase):\n    pass\n",
        RULES,
    )


def test_override_settings_from_django_test_utils() -> None:
    check_rewritten(
        "from django.test.utils import override_settings\n\n"
        "@override_settings(CELERY_TASK_ALWAYS_EAGER=True)\ndef test():\n    pass\n",
        "from weft_compat.testing import immediate\n\n@immediate()\ndef test():\n    pass\n",
        RULES,
    )


@pytest.mark.parametrize(
    "override",
    [
        "override_settings(CELERY_TASK_ALWAYS_EAGER=EAGER)",
        "override_settings(CELERY_TASK_ALWAYS_EAGER=False)",
        "override_settings(CELERY_TASK_ALWAYS_EAGER=True, **EXTRA)",
        "override_settings(CELERY_TASK_EAGER_PROPAGATES=True)",
    ],
)
def test_what_is_not_rewritten_is_reported_as_submitting_to_weft(override: str) -> None:
    outcome = check_flagged(
        IMPORTS + f"@{override}\nclass T(TestCase):\n    pass\n",
        ["WC302"],
        ALL,
    )
    assert outcome.new_source is None
    if "ALWAYS_EAGER" in override:
        assert "would be submitted to Weft" in outcome.findings[0].message


def test_a_with_item_bound_to_a_name_is_left_and_reported() -> None:
    outcome = check_flagged(
        IMPORTS + "def test():\n"
        "    with override_settings(CELERY_TASK_ALWAYS_EAGER=True) as overridden:\n"
        "        run(overridden)\n",
        ["WC302"],
        ALL,
    )
    assert "would be submitted to Weft" in outcome.findings[0].message


def test_migrated_tests_are_left_alone() -> None:
    check_noop(
        "from weft_compat.testing import immediate\n\n@immediate(propagate=True)\n"
        "class T:\n    @immediate()\n    def test(self):\n        with immediate():\n"
        "            pass\n",
        ALL,
    )


def test_other_overrides_are_left_alone() -> None:
    check_noop(IMPORTS + "@override_settings(DEBUG=True)\nclass T(TestCase):\n    pass\n", RULES)
