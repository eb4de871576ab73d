"""The test modes that replace CELERY_TASK_ALWAYS_EAGER: immediate and recording."""

from __future__ import annotations

import asyncio
import unittest
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from tests import broker_tasks
from tests.conftest import run_python
from weft_compat import WeftSubmission, _testmode
from weft_compat.exceptions import ResultNotReady
from weft_compat.testing import ImmediateMode, Recorder, immediate, recording


def test_immediate_runs_the_call_inline_and_returns_a_handle() -> None:
    with immediate():
        handle = broker_tasks.add.enqueue(2, 3)
    assert handle.state == "SUCCESS"
    assert handle.return_value == 5
    assert handle.result().value == 5
    assert WeftSubmission.from_tid(handle.tid).return_value == 5


def test_immediate_applies_the_json_round_trip() -> None:
    with immediate():
        handle = broker_tasks.echo.enqueue((1, Decimal("2.5"), date(2020, 1, 1)))
    assert handle.return_value == [1, Decimal("2.5"), date(2020, 1, 1)]


def test_immediate_gives_bound_tasks_an_eager_request_with_the_handle_tid() -> None:
    with immediate():
        handle = broker_tasks.whoami.enqueue("t")
    assert handle.return_value["id"] == handle.tid
    assert handle.return_value["called_directly"] is False


def test_immediate_records_failures_on_the_handle() -> None:
    with immediate():
        handle = broker_tasks.explode.enqueue("gone")
    assert handle.state == "FAILURE"
    assert handle.errors[0].exception_class_path == "LookupError"
    with pytest.raises(ResultNotReady):
        _ = handle.return_value


def test_immediate_with_propagate_re_raises_like_eager_propagates() -> None:
    with immediate(propagate=True), pytest.raises(LookupError, match="gone"):
        broker_tasks.explode.enqueue("gone")


def test_immediate_still_refuses_bad_calls() -> None:
    with immediate(), pytest.raises(TypeError):
        broker_tasks.add.enqueue(1)


def test_recording_captures_calls_and_runs_nothing() -> None:
    with recording() as recorder:
        handle = broker_tasks.explode.using(queue="low").enqueue("never raised")
    [call] = recorder.submissions
    assert call.name == "tests.broker_tasks.explode"
    assert call.args == ("never raised",)
    assert call.options == {"queue": "low"}
    assert call.tid == handle.tid
    assert handle.state == "PENDING"
    assert not handle.ready()
    assert recorder.names() == ["tests.broker_tasks.explode"]


def test_the_innermost_mode_wins() -> None:
    with recording() as recorder, immediate():
        handle = broker_tasks.add.enqueue(1, 1)
    assert handle.return_value == 2
    assert recorder.submissions == []


def test_the_immediate_fixture(weft_immediate: ImmediateMode) -> None:
    assert broker_tasks.add.enqueue(4, 4).return_value == 8


def test_the_recording_fixture(weft_recording: Recorder) -> None:
    broker_tasks.add.enqueue(4, 4)
    assert weft_recording.names() == ["tests.broker_tasks.add"]


@override_settings(WEFT_COMPAT={"TEST_MODE": "immediate"})
def test_the_immediate_setting_replaces_task_always_eager() -> None:
    assert broker_tasks.add.enqueue(5, 5).return_value == 10


@override_settings(WEFT_COMPAT={"TEST_MODE": "recording"})
def test_the_recording_setting_runs_nothing() -> None:
    assert broker_tasks.explode.enqueue("never").state == "PENDING"


def test_the_setting_works_in_a_process_that_never_imports_testing() -> None:
    # Django's test runner with WEFT_COMPAT = {"TEST_MODE": ...} imports only the tasks.
    script = (
        "import sys\n"
        "import weft_compat\n"
        "weft_compat.configure(TEST_MODE='recording')\n"
        "from tests import broker_tasks\n"
        "assert broker_tasks.explode.enqueue('never').state == 'PENDING'\n"
        "weft_compat.configure(TEST_MODE='immediate')\n"
        "print(broker_tasks.add.enqueue(2, 3).return_value)\n"
    )
    ran = run_python(script, timeout=120, unset=("DJANGO_SETTINGS_MODULE",))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "5"


def run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    """Run a TestCase class the way unittest does, class fixtures and cleanups included."""
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    return result


def test_immediate_decorates_a_test_function() -> None:
    @immediate()
    def check() -> int:
        return broker_tasks.add.enqueue(2, 5).return_value  # type: ignore[no-any-return]

    assert check() == 7
    assert _testmode.active_mode() is None


def test_immediate_with_propagate_decorates_a_test_function() -> None:
    @immediate(propagate=True)
    def check() -> None:
        broker_tasks.explode.enqueue("decorated")

    with pytest.raises(LookupError, match="decorated"):
        check()
    assert _testmode.active_mode() is None


def test_recording_decorates_a_test_function_and_runs_nothing() -> None:
    @recording()
    def check() -> str:
        return broker_tasks.explode.enqueue("never raised").state

    assert check() == "PENDING"


def test_a_decorated_coroutine_runs_in_the_mode() -> None:
    @immediate()
    async def check() -> int:
        await asyncio.sleep(0)
        return broker_tasks.add.enqueue(3, 3).return_value  # type: ignore[no-any-return]

    assert asyncio.run(check()) == 6
    assert _testmode.active_mode() is None


def test_a_decorated_function_keeps_its_name_and_signature_for_pytest() -> None:
    def test_something(weft_recording: Recorder) -> None:
        """Docstring."""

    decorated = immediate()(test_something)
    assert decorated.__name__ == "test_something"
    assert decorated.__doc__ == "Docstring."
    assert decorated.__wrapped__ is test_something  # type: ignore[attr-defined]


def test_a_decorated_testcase_class_covers_set_up_class_and_every_test() -> None:
    seen: list[int] = []

    @immediate()
    class Case(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            super().setUpClass()
            seen.append(broker_tasks.add.enqueue(1, 1).return_value)

        def test_one(self) -> None:
            seen.append(broker_tasks.add.enqueue(2, 2).return_value)

        def test_two(self) -> None:
            seen.append(broker_tasks.add.enqueue(3, 3).return_value)

    run_case(Case)
    assert seen == [2, 4, 6]
    assert _testmode.active_mode() is None


def test_a_decorated_testcase_without_its_own_set_up_class() -> None:
    states: list[str] = []

    @recording()
    class Case(unittest.TestCase):
        def test_one(self) -> None:
            states.append(broker_tasks.explode.enqueue("never").state)

    run_case(Case)
    assert states == ["PENDING"]
    assert _testmode.active_mode() is None


def test_a_method_decorator_inside_a_decorated_class_wins() -> None:
    states: list[str] = []

    @immediate()
    class Case(unittest.TestCase):
        @recording()
        def test_recorded(self) -> None:
            states.append(broker_tasks.add.enqueue(1, 2).state)

        def test_immediate(self) -> None:
            states.append(broker_tasks.add.enqueue(1, 2).state)

    run_case(Case)
    assert sorted(states) == ["PENDING", "SUCCESS"]


def test_a_decorated_subclass_wins_over_its_decorated_parent() -> None:
    states: list[str] = []

    @recording()
    class Parent(unittest.TestCase):
        @classmethod
        def setUpClass(cls) -> None:
            super().setUpClass()

        def test_state(self) -> None:
            states.append(broker_tasks.add.enqueue(1, 2).state)

    @immediate()
    class Child(Parent):
        pass

    @immediate()
    class ChildWithItsOwnSetUpClass(Parent):
        @classmethod
        def setUpClass(cls) -> None:
            super().setUpClass()

    class Undecorated(Parent):
        pass

    for case in (Child, ChildWithItsOwnSetUpClass, Undecorated, Parent):
        run_case(case)
    assert states == ["SUCCESS", "SUCCESS", "PENDING", "PENDING"]
    assert _testmode.active_mode() is None


def test_a_class_that_is_not_a_testcase_is_refused() -> None:
    with pytest.raises(TypeError, match=r"'Plain' is not a unittest.TestCase subclass"):

        @immediate()
        class Plain:
            pass


def test_each_entry_of_a_scope_gets_its_own_recorder() -> None:
    scope = recording()
    with scope as outer:
        with scope as inner:
            broker_tasks.add.enqueue(1, 1)
        broker_tasks.add.enqueue(2, 2)
    assert outer is not inner
    assert [call.args for call in inner.submissions] == [(1, 1)]
    assert [call.args for call in outer.submissions] == [(2, 2)]


def test_leaving_an_inner_recorder_keeps_the_outer_one_active() -> None:
    with recording() as outer:
        with recording():
            pass
        broker_tasks.add.enqueue(5, 5)
    assert [call.args for call in outer.submissions] == [(5, 5)]
