"""WC110 patch_targets: patches of renamed Celery names follow the rename."""

from __future__ import annotations

import pytest

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate

RULES = ("patch_targets",)
TASKS = {
    "orders.tasks": "from celery import shared_task\n\n@shared_task\ndef send(pk):\n    pass\n",
    "orders.views": (
        "from celery.result import AsyncResult\n\n"
        "def status(request, task_id):\n    return AsyncResult(task_id).state\n"
    ),
}


def rewritten(before: str, after: str, modules: dict[str, str] = TASKS) -> None:
    check_rewritten(before, after, RULES, modules=modules, module="orders.tests")


def noop(source: str, modules: dict[str, str] = TASKS) -> None:
    check_noop(source, RULES, modules=modules, module="orders.tests")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('mock.patch("orders.tasks.send.delay")', 'mock.patch("orders.tasks.send.enqueue")'),
        ("patch('orders.tasks.send.delay')", "patch('orders.tasks.send.enqueue')"),
        ('mocker.patch("orders.tasks.send.delay")', 'mocker.patch("orders.tasks.send.enqueue")'),
        (
            'mock.patch(target="orders.tasks.send.delay")',
            'mock.patch(target="orders.tasks.send.enqueue")',
        ),
        (
            'mock.patch("orders.tasks.send.delay", return_value=None)',
            'mock.patch("orders.tasks.send.enqueue", return_value=None)',
        ),
        (
            'unittest.mock.patch("orders.tasks.send.delay")',
            'unittest.mock.patch("orders.tasks.send.enqueue")',
        ),
    ],
)
def test_a_patch_of_delay_on_a_known_task_patches_enqueue(before: str, after: str) -> None:
    rewritten(f"{before}\n", f"{after}\n")


def test_a_patch_through_a_reexport_follows_it() -> None:
    rewritten(
        'mock.patch("orders.views.send.delay")\n',
        'mock.patch("orders.views.send.enqueue")\n',
        {**TASKS, "orders.views": "from .tasks import send\n"},
    )


def test_patch_object_of_delay_on_a_known_task() -> None:
    rewritten(
        'from orders.tasks import send\n\nmock.patch.object(send, "delay")\n',
        'from orders.tasks import send\n\nmock.patch.object(send, "enqueue")\n',
    )


def test_a_patched_async_result_becomes_a_patched_from_tid() -> None:
    rewritten(
        '@mock.patch("orders.views.AsyncResult")\ndef test(async_result):\n'
        "    async_result.assert_called_once_with('abc')\n",
        '@mock.patch("orders.views.WeftSubmission.from_tid")\ndef test(async_result):\n'
        "    async_result.assert_called_once_with('abc')\n",
    )


def test_an_async_result_the_module_still_uses_is_not_followed() -> None:
    views = (
        "from celery.result import AsyncResult\n\n"
        "def status(task_id, app):\n    return AsyncResult(task_id, parent=None).state\n"
    )
    noop('mock.patch("orders.views.AsyncResult")\n', {**TASKS, "orders.views": views})
    used = "from celery.result import AsyncResult\n\ndef check(x):\n"
    used += "    return isinstance(x, AsyncResult) or AsyncResult(x)\n"
    noop('mock.patch("orders.views.AsyncResult")\n', {**TASKS, "orders.views": used})


def test_reads_on_the_stand_in_handle_follow_the_handle_renames() -> None:
    rewritten(
        """\
        class T:
            @mock.patch("orders.tasks.send.delay")
            @mock.patch("orders.views.AsyncResult")
            def test(self, async_result, delay):
                async_result.return_value.result = {"total": 1}
                async_result.return_value.status = "SUCCESS"
                async_result.return_value.state = "SUCCESS"
                delay.return_value.id = "42"
                delay.return_value.get.return_value = 3
                other.return_value.result = 1
        """,
        """\
        class T:
            @mock.patch("orders.tasks.send.enqueue")
            @mock.patch("orders.views.WeftSubmission.from_tid")
            def test(self, async_result, delay):
                async_result.return_value.info = {"total": 1}
                async_result.return_value.state = "SUCCESS"
                async_result.return_value.state = "SUCCESS"
                delay.return_value.tid = "42"
                delay.return_value.wait.return_value = 3
                other.return_value.result = 1
        """,
    )


def test_a_patch_given_new_passes_no_mock() -> None:
    rewritten(
        """\
        @mock.patch("orders.tasks.send.delay")
        @mock.patch("orders.views.AsyncResult", new=FakeResult)
        def test(delay):
            delay.return_value.id = "1"
        """,
        """\
        @mock.patch("orders.tasks.send.enqueue")
        @mock.patch("orders.views.WeftSubmission.from_tid", new=FakeResult)
        def test(delay):
            delay.return_value.tid = "1"
        """,
    )


def test_with_as_and_assigned_mocks() -> None:
    rewritten(
        """\
        def test(mocker):
            with mock.patch("orders.tasks.send.delay") as delay:
                delay.return_value.id = "1"
            result = mocker.patch("orders.views.AsyncResult")
            result.return_value.result = 2
        """,
        """\
        def test(mocker):
            with mock.patch("orders.tasks.send.enqueue") as delay:
                delay.return_value.tid = "1"
            result = mocker.patch("orders.views.WeftSubmission.from_tid")
            result.return_value.info = 2
        """,
    )


def test_a_return_value_of_the_tests_own_is_reported() -> None:
    outcome = migrate(
        '@mock.patch("orders.views.AsyncResult")\ndef test(result):\n'
        "    result.return_value = FakeResult(result=1)\n",
        RULES,
        modules=TASKS,
        module="orders.tests",
    )
    assert [finding.code for finding in outcome.findings] == ["WC110"]
    assert "give it WeftSubmission's names" in outcome.findings[0].message


@pytest.mark.parametrize(
    "source",
    [
        'mock.patch("orders.tasks.send.apply_async")\n',
        'mock.patch("orders.tasks.unknown.delay")\n',
        'mock.patch("celery.app.task.Task.delay")\n',
        'mock.patch.object(unknown, "delay")\n',
        'mock.patch.multiple("orders.tasks.send", delay=mock.DEFAULT)\n',
    ],
)
def test_what_the_rename_would_not_keep_is_left(source: str) -> None:
    noop(source)


def test_what_is_left_is_reported_by_mock_patch() -> None:
    outcome = check_flagged(
        'mock.patch("orders.tasks.send.delay")\nmock.patch("orders.tasks.send.apply_async")\n',
        ["WC210"],
        ALL,
        modules=TASKS,
        module="orders.tests",
    )
    assert "calls become orders.tasks.send.using(...).enqueue(...)" in outcome.findings[0].message


def test_migrated_patches_are_left_alone() -> None:
    noop(
        '@mock.patch("orders.tasks.send.enqueue")\n'
        '@mock.patch("orders.views.WeftSubmission.from_tid")\n'
        "def test(result, send):\n    result.return_value.info = 1\n"
    )
