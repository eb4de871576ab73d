"""WeftTask behaviour that needs no broker: inline calls, names, registry, validation."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

import weft_compat
from tests import broker_tasks
from weft_compat import CeleryNameRemoved, WeftTask, weft_task
from weft_compat._registry import get_task, unregister
from weft_compat.exceptions import (
    ArgumentNotSerializable,
    DuplicateTaskName,
    InvalidCallArguments,
    TaskNotRegistered,
)
from weft_compat.testing import recording


def test_calling_a_task_runs_the_function_inline() -> None:
    assert broker_tasks.add(2, 3) == 5


def test_calling_a_bound_task_inline_marks_the_request_as_called_directly() -> None:
    seen = broker_tasks.whoami("t")
    assert seen["called_directly"] is True
    assert seen["id"] is None
    assert seen["name"] == "tests.whoami"


def test_the_default_name_is_module_dot_function_as_in_celery() -> None:
    assert broker_tasks.add.name == "tests.broker_tasks.add"
    assert get_task("tests.broker_tasks.add") is broker_tasks.add


def test_a_task_keeps_the_function_metadata() -> None:
    assert broker_tasks.add.__name__ == "add"
    assert broker_tasks.add.__doc__ == broker_tasks.add.func.__doc__


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("delay", "enqueue"),
        ("apply_async", "using(**options).enqueue"),
        ("AsyncResult", "WeftSubmission.from_tid"),
        ("s", "canvas"),
        ("si", "canvas"),
        ("map", "canvas"),
        ("starmap", "canvas"),
        ("chunks", "canvas"),
    ],
)
def test_celery_names_raise_an_attribute_error_naming_the_replacement(
    name: str, replacement: str
) -> None:
    with pytest.raises(CeleryNameRemoved, match=re.escape(replacement)) as raised:
        getattr(broker_tasks.add, name)
    assert isinstance(raised.value, AttributeError)
    assert "migration_guide/" in str(raised.value)
    assert not hasattr(broker_tasks.add, name)


@pytest.mark.parametrize("name", ["shared_task", "AsyncResult", "delay", "send_task"])
def test_the_package_has_no_celery_aliases(name: str) -> None:
    with pytest.raises(CeleryNameRemoved):
        getattr(weft_compat, name)


def test_other_missing_attributes_raise_a_plain_attribute_error() -> None:
    with pytest.raises(AttributeError) as raised:
        _ = broker_tasks.add.no_such_thing  # type: ignore[attr-defined]
    assert not isinstance(raised.value, CeleryNameRemoved)


def test_a_second_function_under_a_taken_name_fails_loudly() -> None:
    with pytest.raises(DuplicateTaskName, match=re.escape("tests.broker_tasks.add")):
        weft_task(name="tests.broker_tasks.add")(lambda: None)


def test_redefining_the_same_function_replaces_it() -> None:
    def twin() -> int:
        return 1

    first = weft_task(name="tests.task.twin")(twin)
    second = weft_task(name="tests.task.twin")(twin)
    assert get_task("tests.task.twin") is second is not first
    unregister("tests.task.twin")


def test_enqueue_by_name_resolves_the_registered_task() -> None:
    with recording() as recorder:
        weft_compat.enqueue("tests.broker_tasks.add", 1, y=2)
    [call] = recorder.submissions
    assert (call.name, call.args, call.kwargs) == ("tests.broker_tasks.add", (1,), {"y": 2})


def test_enqueue_by_an_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(TaskNotRegistered, match=re.escape("did you mean 'tests.broker_tasks.add'")):
        weft_compat.enqueue("tests.broker_tasks.ad")


def test_get_task_imports_the_module_a_name_points_to() -> None:
    unregister("tests.lazy_tasks.double")
    sys.modules.pop("tests.lazy_tasks", None)
    assert get_task("tests.lazy_tasks.double")(4) == 8


def test_arguments_that_do_not_bind_fail_before_submission() -> None:
    with recording() as recorder:
        with pytest.raises(InvalidCallArguments, match=re.escape("add(x: int, y: int)")):
            broker_tasks.add.enqueue(1, 2, 3)
        with pytest.raises(InvalidCallArguments, match="z"):
            broker_tasks.add.enqueue(1, z=2)
    assert recorder.submissions == []


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((object(),), {}, "positional argument 0 of 'tests.broker_tasks.echo' is a object"),
        ((), {"value": {1, 2}}, "keyword argument 'value' of 'tests.broker_tasks.echo' is a set"),
        ((lambda: 1,), {}, "is a function"),
    ],
)
def test_unencodable_arguments_fail_in_the_caller_naming_the_argument(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with recording() as recorder, pytest.raises(ArgumentNotSerializable, match=message):
        broker_tasks.echo.enqueue(*args, **kwargs)
    assert recorder.submissions == []


def test_typing_true_validates_annotated_arguments_strictly() -> None:
    @weft_task(name="tests.task.typed", typing=True)
    def typed(count: int, label: str = "x", *rest: float) -> None: ...

    with recording() as recorder:
        typed.enqueue(3, "y", 1.5, 2.0)
        with pytest.raises(InvalidCallArguments, match="argument 'count'"):
            typed.enqueue("3")
        with pytest.raises(InvalidCallArguments, match="argument 'rest'"):
            typed.enqueue(3, "y", "nope")
    assert len(recorder.submissions) == 1
    unregister("tests.task.typed")


def test_typing_false_skips_the_signature_check_as_in_celery() -> None:
    @weft_task(name="tests.task.untyped", typing=False)
    def untyped(count: int) -> None: ...

    with recording() as recorder:
        untyped.enqueue(1, 2, 3)
    assert recorder.submissions[0].args == (1, 2, 3)
    unregister("tests.task.untyped")


def test_the_taskspec_template_is_built_once_per_task() -> None:
    task: WeftTask[..., Any] = broker_tasks.every_honoured_option
    template = task.taskspec_template
    assert task.taskspec_template is template
    assert template["spec"]["timeout"] == 30
    assert template["spec"]["limits"] == {"memory_mb": 512, "cpu_percent": 90}
    assert template["spec"]["function_target"] == "weft_compat.worker:run"
