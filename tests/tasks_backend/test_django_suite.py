"""Django's own `tests/tasks` suite against `WeftTaskBackend` (the suite's TASKS settings
pointed at this backend; see `conftest.py`): in weft_compat's immediate test mode, and its
immediate-backend tests against a real broker, where workers of the pooled lane run the
calls and `enqueue` waits for them (`waiting.WaitingWeftTaskBackend`).

Left out, with the reason, in `LEFT_OUT` (both runs) and `LEFT_OUT_ON_BROKER`; every test
of the suite is either run or listed there (a test checks this, so a new Django test is
never skipped silently).
"""

from __future__ import annotations

import importlib
import unittest
from pathlib import Path
from typing import Any, Final

import pytest

from weft_compat.testing import immediate

# Django's test modules that are run, and the test classes whose `setUp` is replaced
# (the dummy backend's `clear()`, which this backend has no use for).
RUN: Final = ("test_immediate_backend", "test_tasks")
NO_SET_UP: Final = frozenset({"TaskTestCase"})

_PRIORITY = (
    "sets a priority; WeftTaskBackend.supports_priority is False, because weft_compat's "
    "queues run calls in arrival order, so validate_task refuses it"
)
_DUMMY = "reads DummyBackend.results, which this backend has no equivalent of"
LEFT_OUT: Final[dict[str, str]] = {
    # Whole modules.
    "test_dummy_backend": "tests DummyBackend's own API (results, clear); nothing to point here",
    "test_custom_backend": (
        "tests BaseTaskBackend subclasses the module defines itself, not a configured backend"
    ),
    # test_immediate_backend: what the immediate backend lacks and this one has.
    "ImmediateBackendTestCase.test_cannot_get_result": (
        "supports_get_result is True here: get_result reads the call's record"
    ),
    "ImmediateBackendTestCase.test_cannot_refresh_result": (
        "supports_get_result is True here: refresh() re-reads the call's record"
    ),
    "ImmediateBackendTestCase.test_cannot_pass_run_after": (
        "supports_defer is True here: run_after defers the call in the due lane"
    ),
    # test_tasks: the dummy backend's results, and priorities.
    "TaskTestCase.test_enqueue_task": _DUMMY,
    "TaskTestCase.test_enqueue_task_async": _DUMMY,
    "TaskTestCase.test_using_priority": _PRIORITY,
    "TaskTestCase.test_chained_using": _PRIORITY,
    "TaskTestCase.test_invalid_priority": (
        "checks the range message for priorities; this backend refuses any priority first "
        "(supports_priority is False)"
    ),
}


# The settings the workers of the broker run load: the project's, with our backend as the
# default one (`suite_settings`).
SETTINGS_MODULE: Final = "tests.tasks_backend.suite_settings"
_IN_THE_WORKER = (
    "asserts log records of task_started or task_finished in this process; against a "
    "broker the worker sends those signals, so the records are in the worker's log"
)
LEFT_OUT_ON_BROKER: Final[dict[str, str]] = {
    "ImmediateBackendTestCase.test_catches_exception": _IN_THE_WORKER,
    "ImmediateBackendTestCase.test_complex_exception": _IN_THE_WORKER,
    "ImmediateBackendTestCase.test_complex_return_value": _IN_THE_WORKER,
    "ImmediateBackendTestCase.test_enqueue_logs": _IN_THE_WORKER,
    "ImmediateBackendTestCase.test_failed_logs": _IN_THE_WORKER,
    "ImmediateBackendTestCase.test_throws_keyboard_interrupt": (
        "a KeyboardInterrupt raised by a task in a worker fails the call (tests/tasks_backend/"
        "test_broker.py checks it): no one is there to interrupt"
    ),
}


def _test_ids(suite: unittest.TestSuite) -> list[tuple[str, unittest.TestCase]]:
    found: list[tuple[str, unittest.TestCase]] = []
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            found += _test_ids(item)
        else:
            found.append((f"{type(item).__qualname__}.{item._testMethodName}", item))
    return found


def _load(module_name: str, package: str = "tasks") -> unittest.TestSuite:
    module = importlib.import_module(f"{package}.{module_name}")
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for name in dir(module):
        case = getattr(module, name)
        if not (
            isinstance(case, type)
            and issubclass(case, unittest.TestCase)
            and case.__module__ == module.__name__
        ):
            continue
        if name in NO_SET_UP:
            case = type(name, (case,), {"setUp": lambda self: None, "__module__": case.__module__})
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


def test_every_test_of_the_suite_is_run_or_left_out_with_a_reason(
    django_tasks_suite: Path,
) -> None:
    modules = sorted(path.stem for path in (django_tasks_suite / "tasks").glob("test_*.py"))
    assert set(modules) == {*RUN, "test_dummy_backend", "test_custom_backend"}, modules
    known = {test_id for module in RUN for test_id, _ in _test_ids(_load(module))}
    listed = {key for key in [*LEFT_OUT, *LEFT_OUT_ON_BROKER] if "." in key}
    assert listed <= known, f"left out, but not in Django's suite: {sorted(listed - known)}"


def _run(suite: unittest.TestSuite) -> None:
    assert suite.countTestCases() > 0
    result = unittest.TestResult()
    suite.run(result)
    problems = [f"{case.id()}:\n{text}" for case, text in [*result.failures, *result.errors]] + [
        f"{case.id()}: unexpected success" for case in result.unexpectedSuccesses
    ]
    assert not problems, "\n\n".join(problems)
    assert result.testsRun == suite.countTestCases()


@pytest.mark.parametrize("module_name", RUN)
def test_django_s_suite_passes_in_the_immediate_mode(
    module_name: str, django_tasks_suite: Path, django_db_setup: Any, django_db_blocker: Any
) -> None:
    cases = _test_ids(_load(module_name))
    with django_db_blocker.unblock(), immediate():
        _run(unittest.TestSuite(case for test_id, case in cases if test_id not in LEFT_OUT))


@pytest.mark.broker
@pytest.mark.slow
def test_django_s_immediate_backend_tests_pass_against_a_worker(
    django_tasks_suite_on_broker: Path,
    weft_context: Path,
    django_db_setup: Any,
    django_db_blocker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Calls name the settings their workers load: these, whose default backend is ours.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    left_out = {**LEFT_OUT, **LEFT_OUT_ON_BROKER}
    cases = _test_ids(_load("test_immediate_backend", "tasks_on_broker"))
    with django_db_blocker.unblock():
        _run(unittest.TestSuite(case for test_id, case in cases if test_id not in left_out))
