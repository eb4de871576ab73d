"""WC210 mock_patch: patch targets naming Celery attributes are reported."""

from __future__ import annotations

import pytest

from tests.codemod.tools import check_flagged, check_noop

RULES = ("mock_patch",)


@pytest.mark.parametrize(
    "call",
    [
        'mock.patch("app.tasks.send.delay")',
        'patch("app.tasks.send.apply_async")',
        'mocker.patch("app.views.AsyncResult")',
        'mock.patch.object(send, "delay")',
        'mock.patch("celery.app.task.Task.apply_async")',
    ],
)
def test_celery_targets_are_flagged(call: str) -> None:
    check_flagged(f"{call}\n", ["WC210"], RULES)


def test_decorator_form() -> None:
    check_flagged('@mock.patch("app.tasks.send.delay")\ndef test(m):\n    pass\n', ["WC210"], RULES)


def test_other_targets_are_left_alone() -> None:
    check_noop('mock.patch("app.utils.delayed")\nmock.patch("time.sleep")\n', RULES)


def test_an_apply_async_patch_says_why_it_stays() -> None:
    outcome = check_flagged('mock.patch("app.tasks.send.apply_async")\n', ["WC210"], RULES)
    assert "app.tasks.send.using(...).enqueue(...)" in outcome.findings[0].message


def test_a_patch_object_names_the_object() -> None:
    outcome = check_flagged('mock.patch.object(send, "delay")\n', ["WC210"], RULES)
    assert "does not migrate 'send' as a task" in outcome.findings[0].message


def test_an_async_result_patch_says_why_it_stays() -> None:
    outcome = check_flagged('mock.patch("app.views.AsyncResult")\n', ["WC210"], RULES)
    assert "AsyncResult in app.views is not always rewritten" in outcome.findings[0].message
