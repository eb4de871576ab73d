"""Every Celery task option is honoured, accepted with a note, or refused at decoration."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from weft_compat import UnsupportedOption, WeftTask, WeftTaskBase, weft_task
from weft_compat._option_names import DECORATOR_OPTIONS, REFUSED_CALL_OPTIONS, REFUSED_OPTIONS
from weft_compat._registry import unregister
from weft_compat.exceptions import InvalidOptionValue


def define(**options: Any) -> WeftTask[..., Any]:
    def sample(x: int = 1) -> int:
        return x

    sample.__qualname__ = sample.__name__ = f"sample_{abs(hash(tuple(options))) % 10**8}"
    task = weft_task(name=f"tests.options.{sample.__name__}", **options)(sample)
    unregister(task.name)
    return task


HONOURED = {
    "name": "tests.options.named",
    "bind": False,
    "time_limit": 30,
    "soft_time_limit": 10,
    "ignore_result": True,
    "typing": True,
    "serializer": "json",
    "queue": "emails",
    "priority": 9,
    "acks_late": True,
    "track_started": True,
    "reject_on_worker_lost": False,
    "timeout": 30,
    "memory_mb": 256,
    "cpu_percent": 50,
    "metadata": {"team": "growth"},
    "lane": "isolated",
    "autoretry_for": (ConnectionError,),
    "dont_autoretry_for": (TimeoutError,),
    "max_retries": 5,
    "default_retry_delay": 10.0,
    "retry_backoff": True,
    "retry_backoff_max": 60.0,
    "retry_jitter": False,
    "retry_kwargs": {"countdown": 5},
    "expires": 3600.0,
    "result_expires": 600.0,
    "base": WeftTaskBase,
}


def test_the_honoured_table_covers_every_accepted_option() -> None:
    assert set(HONOURED) == DECORATOR_OPTIONS


@pytest.mark.parametrize(("option", "value"), sorted(HONOURED.items()))
def test_each_honoured_option_is_accepted(option: str, value: Any) -> None:
    options = {option: value}
    if option == "name":
        task = weft_task(**options)(lambda: None)
        unregister(task.name)
        assert task.name == value
        return
    task = define(**options)
    if option == "base":
        assert issubclass(task.task_class, value)
        return
    if option in task.config.model_fields_set | set(type(task.config).model_fields):
        assert getattr(task.config, option) == value
    else:
        assert getattr(task.options, option) == value


@pytest.mark.parametrize("option", sorted(REFUSED_OPTIONS))
def test_each_refused_option_raises_with_its_guide_section(option: str) -> None:
    with pytest.raises(UnsupportedOption, match=f"decorator.md#{option.lower()}") as raised:
        weft_task(**{option: 1})
    assert repr(option) in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("option", sorted(REFUSED_CALL_OPTIONS))
def test_each_refused_call_option_raises_with_its_guide_section(option: str) -> None:
    task = define()
    with pytest.raises(UnsupportedOption, match=f"calling.md#{option.lower()}"):
        task.using(**{option: 1})


def test_a_typo_that_celery_ignored_is_refused_with_a_suggestion() -> None:
    with pytest.raises(UnsupportedOption, match=r"'ignore_results'.*did you mean 'ignore_result'"):
        weft_task(ignore_results=True)


def test_an_unknown_option_on_the_bare_decorator_path_is_refused_before_decorating() -> None:
    with pytest.raises(UnsupportedOption, match="unknown-options"):
        weft_task(max_retry=5)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_limit": -1}, "time_limit=-1"),
        ({"soft_time_limit": 10, "time_limit": 5}, "must be below the hard limit"),
        ({"time_limit": 5, "timeout": 6}, "pass one of them"),
        ({"priority": 300}, "priority=300"),
        ({"queue": "no spaces"}, "queue='no spaces'"),
        ({"cpu_percent": 0}, "cpu_percent=0"),
        ({"metadata": {"when": object()}}, "metadata"),
        ({"metadata": {"sent": datetime(2030, 1, 1, tzinfo=UTC)}}, "metadata must hold plain JSON"),
        ({"metadata": {"ratio": float("nan")}}, "metadata must hold plain JSON"),
        ({"max_retries": -1}, "max_retries=-1"),
        ({"autoretry_for": (ValueError, "KeyError")}, "'KeyError' is not an exception class"),
        ({"autoretry_for": "ValueError"}, "tuple of exception classes"),
        ({"retry_kwargs": {"delay": 5}}, "'delay' is not a retry"),
        ({"expires": datetime(2030, 1, 1)}, "naive datetime"),
        ({"expires": 0}, "expires=0"),
        # Strict, as the rest: text and booleans are not read as numbers or flags.
        ({"time_limit": "5"}, "time_limit='5'.*valid number"),
        ({"priority": "3"}, "priority='3'.*valid integer"),
        ({"priority": True}, "priority=True.*valid integer"),
        ({"ignore_result": "yes"}, "ignore_result='yes'.*valid boolean"),
        ({"max_retries": "3"}, "max_retries='3'"),
        ({"time_limit": float("inf")}, "time_limit=inf.*finite"),
        ({"default_retry_delay": 1e300}, "at most 315360000 seconds"),
        ({"time_limit": 10**5000}, "time_limit=an int of about 5000 digits"),
    ],
)
def test_invalid_option_values_name_the_value(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionValue, match=message):
        define(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"countdown": -1}, "countdown=-1"),
        ({"countdown": "10"}, "countdown='10'.*valid number"),
        ({"countdown": float("inf")}, "countdown=inf.*finite"),
        ({"countdown": float("nan")}, "countdown=nan.*finite"),
        ({"countdown": 1e300}, "countdown=1e\\+300.*ten years"),
        ({"expires": float("inf")}, "expires=inf"),
        ({"eta": datetime(2030, 1, 1)}, "naive datetime"),
        ({"countdown": 5, "eta": datetime(2030, 1, 1, tzinfo=UTC)}, "pass one of them"),
    ],
)
def test_invalid_call_timing_names_the_value(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidOptionValue, match=message):
        define().using(**options)


def test_countdown_and_eta_replace_each_other_across_using_calls() -> None:
    when = datetime(2030, 1, 1, tzinfo=UTC)
    assert define().using(countdown=5).using(eta=when).options.countdown is None
    assert define().using(eta=when).using(countdown=5).options.eta is None


def test_a_single_exception_class_and_a_list_are_accepted_as_celery_does() -> None:
    assert define(autoretry_for=OSError).config.autoretry_for == (OSError,)
    assert define(autoretry_for=[OSError, KeyError]).config.autoretry_for == (OSError, KeyError)


@pytest.mark.parametrize(("value", "factor"), [(False, 0), (True, 1), (0.5, 1), (3, 3), (0, 0)])
def test_backoff_factor_follows_celery(value: bool | float, factor: int) -> None:
    assert define(retry_backoff=value).config.backoff_factor == factor


def test_a_non_json_serializer_is_refused() -> None:
    with pytest.raises(UnsupportedOption, match="pickle"):
        define(serializer="pickle")


def test_using_returns_a_changed_copy_and_leaves_the_task_alone() -> None:
    task = define(time_limit=30, metadata={"a": 1})
    changed = task.using(time_limit=5, metadata={"b": 2}, queue="low")
    assert changed is not task
    assert (changed.options.time_limit, changed.options.queue) == (5, "low")
    assert changed.options.metadata == {"a": 1, "b": 2}
    assert (task.options.time_limit, task.options.queue, task.options.metadata) == (
        30,
        None,
        {"a": 1},
    )


def test_using_timeout_replaces_an_inherited_time_limit() -> None:
    assert define(time_limit=30).using(timeout=5).options.hard_limit == 5


def test_a_bound_task_needs_a_self_parameter() -> None:
    with pytest.raises(TypeError, match="self"):
        weft_task(bind=True, name="tests.options.noself")(lambda: None)


def test_the_decorator_refuses_a_name_passed_positionally() -> None:
    bad: Callable[..., Any] = weft_task
    with pytest.raises(TypeError, match="name="):
        bad("tests.options.positional")


def test_a_pooled_lane_refuses_per_call_resource_limits() -> None:
    with pytest.raises(InvalidOptionValue, match="only the isolated lane"):
        define(lane="pooled", memory_mb=256)


def test_an_unknown_lane_is_refused_with_the_value() -> None:
    with pytest.raises(InvalidOptionValue, match="'threads'"):
        define(lane="threads")


def test_headers_that_are_not_plain_json_are_refused_before_anything_is_sent() -> None:
    task = define()
    with pytest.raises(InvalidOptionValue, match="headers must hold plain JSON"):
        task.using(headers={"sent": datetime(2030, 1, 1, tzinfo=UTC)})
