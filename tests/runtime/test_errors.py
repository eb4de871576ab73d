"""Recorded errors, and the exceptions rebuilt from them as Celery's result backend does."""

from __future__ import annotations

import sys

import pytest

from weft_compat import TaskError
from weft_compat.exceptions import TaskRevokedError


class Outer:
    class NestedError(Exception):
        pass


class NeedsTwo(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(code, detail)


class Unportable(Exception):
    pass


def test_a_builtin_exception_is_rebuilt_with_its_arguments() -> None:
    error = TaskError.from_exception(KeyError("sku-1"), traceback="tb")
    assert error.exception_class_path == "KeyError"
    rebuilt = error.rebuild()
    assert type(rebuilt) is KeyError
    assert rebuilt.args == ("sku-1",)


def test_a_nested_class_of_an_imported_module_is_found() -> None:
    error = TaskError.from_exception(Outer.NestedError("deep"))
    assert error.exception_class_path == f"{__name__}.Outer.NestedError"
    assert type(error.rebuild()) is Outer.NestedError


def test_an_exception_with_several_arguments_keeps_them() -> None:
    rebuilt = TaskError.from_record(
        TaskError.from_exception(NeedsTwo(7, "x")).to_record()
    ).rebuild()
    assert type(rebuilt) is NeedsTwo
    assert rebuilt.args == (7, "x")


def test_arguments_json_cannot_carry_travel_as_their_repr() -> None:
    error = TaskError.from_exception(Unportable({1, 2}))
    assert error.args == ("{1, 2}",)


def test_a_class_this_process_never_imported_becomes_a_stand_in_of_that_name() -> None:
    assert "billing.errors" not in sys.modules
    error = TaskError("billing.errors.CardDeclined", "card declined", "")
    rebuilt = error.rebuild()
    assert type(rebuilt).__name__ == "CardDeclined"
    assert type(rebuilt).__module__ == "billing.errors"
    assert str(rebuilt) == "card declined"
    assert isinstance(rebuilt, Exception)
    # One stand-in class per path, so isinstance checks agree between reads.
    assert type(error.rebuild()) is type(rebuilt)
    assert "billing.errors" not in sys.modules  # A record never imports anything.


def test_a_path_that_names_something_other_than_an_exception_is_never_called() -> None:
    error = TaskError("os.system", "touch /tmp/owned", "")
    rebuilt = error.rebuild()
    assert type(rebuilt).__name__ == "system"
    assert not isinstance(rebuilt, OSError)
    assert str(rebuilt) == "touch /tmp/owned"


def test_a_constructor_that_refuses_the_message_falls_back_to_a_stand_in() -> None:
    error = TaskError(f"{__name__}.NeedsTwo", "(7, 'x')", "")
    rebuilt = error.rebuild()
    assert type(rebuilt).__name__ == "NeedsTwo"
    assert str(rebuilt) == "(7, 'x')"


def test_weft_compat_errors_rebuild_as_themselves() -> None:
    error = TaskError("weft_compat.exceptions.TaskRevokedError", "expired", "")
    assert isinstance(error.rebuild(), TaskRevokedError)


@pytest.mark.parametrize("record", [{}, {"message": "m"}, {"exception_class_path": ""}])
def test_an_empty_record_rebuilds_a_plain_exception(record: dict[str, str]) -> None:
    rebuilt = TaskError.from_record(record).rebuild()
    assert type(rebuilt).__name__ == "Exception"
