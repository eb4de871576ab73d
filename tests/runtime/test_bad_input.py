"""Bad input is refused in the caller, naming the value, before anything starts.

Each case runs against a fresh, empty context directory: after the refusal there is
still no Weft context there, so no manager, pool or mover was started for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import weft_compat
import weft_compat.testing
from tests import broker_tasks
from tests.conftest import pointed_at
from weft_compat.exceptions import (
    ArgumentNotSerializable,
    CallTooLarge,
    InvalidTaskName,
    WeftCompatError,
)


@pytest.fixture
def untouched_context(tmp_path: Path) -> Iterator[Path]:
    """A context directory nothing has used; the test checks it stays that way."""
    with pointed_at(tmp_path):
        yield tmp_path
    assert list(tmp_path.iterdir()) == [], "a refused call touched the Weft context"


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((nested(100_000),), ArgumentNotSerializable, "positional argument 0 .* nested too deeply"),
        ((10**5000,), ArgumentNotSerializable, "an int of about 5000 digits.*as a string"),
        (({1, 2},), ArgumentNotSerializable, r"is a set \(\{1, 2\}\)"),
    ],
)
def test_an_argument_json_cannot_carry_is_refused_naming_it(
    args: tuple[Any, ...], error: type[Exception], message: str, untouched_context: Path
) -> None:
    with pytest.raises(error, match=message):
        broker_tasks.echo.enqueue(*args)


@pytest.mark.parametrize("lane", ["pooled", "isolated"])
def test_an_argument_larger_than_a_broker_message_is_refused_before_anything_starts(
    lane: str, untouched_context: Path
) -> None:
    with pytest.raises(CallTooLarge, match="positional argument 0 alone") as raised:
        broker_tasks.echo.using(lane=lane).enqueue("x" * (50 * 1024 * 1024))
    assert "'tests.broker_tasks.echo'" in str(raised.value)
    assert "10,485,760" in str(raised.value)


def test_an_argument_just_under_the_limit_is_not_refused_by_the_size_check(
    untouched_context: Path,
) -> None:
    with weft_compat.testing.immediate():
        handle = broker_tasks.echo.enqueue("x" * (9 * 1024 * 1024))
    assert handle.successful()


@pytest.mark.parametrize("name", [123, None, "", b"tests.broker_tasks.add"])
def test_enqueue_by_name_refuses_what_is_no_name(name: Any, untouched_context: Path) -> None:
    with pytest.raises(InvalidTaskName, match=f"task name {name!r} is not a task's name"):
        weft_compat.enqueue(name)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"countdown": "10"}, "countdown='10'"),
        ({"countdown": float("inf")}, "countdown=inf"),
        ({"countdown": 1e300}, "ten years"),
        ({"time_limit": "5"}, "time_limit='5'"),
        ({"priority": "3"}, "priority='3'"),
        ({"priority": True}, "priority=True"),
        ({"ignore_result": "yes"}, "ignore_result='yes'"),
    ],
)
def test_a_loose_call_option_is_refused_before_anything_starts(
    options: dict[str, Any], message: str, untouched_context: Path
) -> None:
    with pytest.raises(WeftCompatError, match=message):
        broker_tasks.add.using(**options).enqueue(1, 2)
