"""Task classes: Celery's `Task` hooks, class attributes and class-based tasks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from tests import broker_tasks
from weft_compat import (
    ExceptionInfo,
    UnsupportedOption,
    WeftTaskBase,
    current_task,
    register_task,
    weft_task,
)
from weft_compat._registry import unregister
from weft_compat.testing import immediate

seen: list[tuple[Any, ...]] = []


class Audited(WeftTaskBase):
    """Celery-style base: class attributes as options, hooks, a custom helper, __call__."""

    max_retries = 4
    default_retry_delay = 0
    autoretry_for = (ConnectionError,)
    queue = "audited"

    def tag(self) -> str:
        return f"audited:{self.name}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        seen.append(("call", args))
        return super().__call__(*args, **kwargs)

    def before_start(self, task_id: str | None, args: Any, kwargs: Any) -> None:
        seen.append(("before_start", task_id, tuple(args), kwargs))

    def on_success(self, retval: Any, task_id: str | None, args: Any, kwargs: Any) -> None:
        seen.append(("on_success", retval))

    def on_failure(
        self, exc: BaseException, task_id: str | None, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        seen.append(("on_failure", type(exc), isinstance(einfo, ExceptionInfo), einfo.type))

    def on_retry(
        self, exc: BaseException, task_id: str | None, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        seen.append(("on_retry", str(exc), self.request.retries))

    def after_return(self, status: str, retval: Any, *rest: Any) -> None:
        seen.append(("after_return", status))


@weft_task(base=Audited, bind=True, name="tests.classes.priced")
def priced(self: Any, amount: int, *, fail: str = "") -> str:
    if fail == "lookup":
        raise LookupError("no price")
    if fail == "network" and self.request.retries < 2:
        raise ConnectionError("flaky")
    return f"{self.tag()} {amount}"


@pytest.fixture(autouse=True)
def fresh() -> None:
    seen.clear()


def test_the_hooks_run_around_a_successful_call_in_celerys_order() -> None:
    with immediate():
        handle = priced.enqueue(5)
    assert handle.return_value == "audited:tests.classes.priced 5"
    assert [event[0] for event in seen] == ["before_start", "call", "on_success", "after_return"]
    assert seen[0] == ("before_start", handle.tid, (5,), {})
    assert seen[-1] == ("after_return", "SUCCESS")


def test_a_failure_runs_on_failure_with_the_exception_and_its_info() -> None:
    with immediate():
        handle = priced.enqueue(5, fail="lookup")
    assert handle.failed()
    assert ("on_failure", LookupError, True, LookupError) in seen
    assert seen[-1] == ("after_return", "FAILURE")


def test_class_attributes_are_options_and_autoretry_runs_on_retry() -> None:
    assert priced.config.max_retries == 4
    assert priced.options.queue == "audited"
    with immediate():
        handle = priced.enqueue(7, fail="network")
    assert handle.return_value.endswith(" 7")
    retries = [event for event in seen if event[0] == "on_retry"]
    assert retries == [("on_retry", "flaky", 0), ("on_retry", "flaky", 1)]
    assert [event[1] for event in seen if event[0] == "after_return"] == [
        "RETRY",
        "RETRY",
        "SUCCESS",
    ]


def test_the_decorators_own_keywords_override_the_class_attributes() -> None:
    @weft_task(base=Audited, queue="urgent", max_retries=1, name="tests.classes.urgent")
    def urgent() -> None: ...

    unregister(urgent.name)
    assert (urgent.options.queue, urgent.config.max_retries) == ("urgent", 1)


def test_calling_the_task_directly_runs_call_but_no_hooks() -> None:
    assert priced(3) == "audited:tests.classes.priced 3"
    assert [event[0] for event in seen] == ["call"]


def test_a_hook_that_raises_is_logged_and_the_outcome_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Loud(WeftTaskBase):
        def on_success(self, *args: Any) -> None:
            raise RuntimeError("alerting is down")

    @weft_task(base=Loud, name="tests.classes.loud")
    def loud() -> int:
        return 1

    try:
        with caplog.at_level(logging.ERROR, "weft_compat"), immediate():
            handle = loud.enqueue()
        assert handle.return_value == 1
        assert "on_success raised" in caplog.text
    finally:
        unregister(loud.name)


class Invoice(WeftTaskBase):
    """A class-based task: its own run, name and options."""

    name = "tests.classes.invoice"
    time_limit = 30

    def run(self, number: int) -> str:
        return f"invoice {number} by {self.request.id is not None}"


invoice = register_task(Invoice)


def test_a_class_based_task_registers_under_its_name_and_runs() -> None:
    assert invoice.name == "tests.classes.invoice"
    assert invoice.options.time_limit == 30
    with immediate():
        assert invoice.enqueue(4).return_value == "invoice 4 by True"
    assert invoice(4) == "invoice 4 by False"


def test_a_copy_made_with_using_runs_on_the_tasks_one_instance() -> None:
    class Counted(WeftTaskBase):
        name = "tests.classes.counted"

        def __init__(self, start: int) -> None:
            super().__init__()
            self.count = start

        def run(self) -> int:
            self.count += 1
            return self.count

    counted = register_task(Counted(10))
    try:
        assert counted.using(queue="elsewhere")() == 11
        assert counted() == 12
    finally:
        unregister(counted.name)


def test_a_class_without_run_or_no_task_class_is_refused_naming_it() -> None:
    class Empty(WeftTaskBase):
        pass

    with pytest.raises(TypeError, match="Empty defines no run"):
        register_task(Empty)
    with pytest.raises(TypeError, match="takes a WeftTaskBase subclass"):
        register_task(object)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedOption, match="base=<class 'object'> is not a task class"):
        weft_task(base=object)(lambda: None)


def test_a_refused_option_as_a_class_attribute_is_refused_at_registration() -> None:
    class Throttled(WeftTaskBase):
        rate_limit = "10/m"

    with pytest.raises(UnsupportedOption, match=r"Throttled.rate_limit = '10/m'.*decorator.md"):
        weft_task(base=Throttled)(lambda: None)


class ProjectDefault(WeftTaskBase):
    soft_time_limit = 50


def test_the_task_class_setting_is_the_default_base_as_celerys_task_cls() -> None:
    path = f"{__name__}.ProjectDefault"
    with override_settings(WEFT_COMPAT={"TASK_CLASS": path}):

        @weft_task(name="tests.classes.defaulted")
        def defaulted() -> None: ...

    unregister(defaulted.name)
    assert issubclass(defaulted.task_class, ProjectDefault)
    assert defaulted.options.soft_time_limit == 50
    with (
        override_settings(WEFT_COMPAT={"TASK_CLASS": "tests.nowhere.Base"}),
        pytest.raises(UnsupportedOption, match=r"TASK_CLASS='tests\.nowhere\.Base' cannot be"),
    ):
        weft_task(lambda: None)


def test_current_task_is_the_running_tasks_instance_and_false_outside() -> None:
    seen_inside: list[Any] = []

    @weft_task(name="tests.classes.introspective")
    def introspective() -> None:
        seen_inside.append((bool(current_task), current_task.name, current_task.request.id))

    try:
        with immediate():
            handle = introspective.enqueue()
        assert seen_inside == [(True, "tests.classes.introspective", handle.tid)]
        assert not current_task
        with pytest.raises(AttributeError, match="no task is running here"):
            _ = current_task.request
    finally:
        unregister(introspective.name)


@pytest.mark.broker
@pytest.mark.parametrize("lane", ["pooled", "isolated"])
@pytest.mark.parametrize(
    ("outcome", "journal"),
    [
        ("ok", ["before_start True", "on_success ok", "after_return SUCCESS"]),
        ("fail", ["before_start True", "on_failure LookupError True", "after_return FAILURE"]),
        (
            "retry",
            [
                "before_start True",
                "on_retry again",
                "after_return RETRY",
                "before_start True",
                "on_success ok",
                "after_return SUCCESS",
            ],
        ),
    ],
)
def test_hooks_run_in_the_worker_in_both_lanes(
    lane: str, outcome: str, journal: list[str], weft_context: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "journal"
    handle = broker_tasks.journaled.using(lane=lane).enqueue(str(marker), outcome)
    handle.result(timeout=120)
    assert handle.state == ("FAILURE" if outcome == "fail" else "SUCCESS")
    assert marker.read_text().splitlines() == journal
