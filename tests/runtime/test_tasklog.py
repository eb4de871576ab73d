"""What workers log about each call, and `get_task_logger`'s task fields."""

from __future__ import annotations

import logging
import time

import pytest

from weft_compat import get_task_logger
from weft_compat._context import TaskRequest
from weft_compat._errors import TaskError
from weft_compat._outcome import Outcome
from weft_compat._progress import running
from weft_compat._retry import RetryPlan
from weft_compat._states import FAILURE, REVOKED, SUCCESS
from weft_compat._tasklog import call_ended, call_lost, call_received, configure_worker_logging

TID = "1837025672140161024"


def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(record.levelname, record.getMessage()) for record in caplog.records]


def test_each_end_is_logged_in_celerys_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="weft_compat.worker")
    error = TaskError("builtins.ValueError", "bad input", "Traceback ...\nValueError: bad input")
    call_received("app.add", TID)
    call_ended("app.add", TID, Outcome(SUCCESS, value="5"), None, 0.0012)
    call_ended("app.add", TID, Outcome(FAILURE, error=error), None, 0.5)
    call_ended("app.add", TID, Outcome(REVOKED), None, 0.0)
    plan = RetryPlan(eta=time.time() + 10, args=[], kwargs={}, retries=1)
    call_ended("app.add", TID, Outcome("RETRY"), plan, 0.1)
    call_lost("app.add", TID, "redelivered")
    logged = messages(caplog)
    assert logged[0] == ("INFO", f"Task app.add[{TID}] received")
    assert logged[1] == ("INFO", f"Task app.add[{TID}] succeeded in 0.001200s: 5")
    assert logged[2][0] == "ERROR"
    assert logged[2][1].startswith(
        f"Task app.add[{TID}] raised unexpected: ValueError('bad input')"
    )
    assert "Traceback ..." in logged[2][1]
    assert logged[3] == ("INFO", f"Discarding revoked task: app.add[{TID}]")
    assert logged[4][0] == "INFO" and logged[4][1].startswith(
        f"Task app.add[{TID}] retry: Retry in"
    )
    assert logged[5] == ("WARNING", f"Task app.add[{TID}] lost with its process: redelivered")


def test_a_long_result_is_cut(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="weft_compat.worker")
    call_ended("app.big", TID, Outcome(SUCCESS, value="x" * 5000), None, 0.1)
    assert caplog.records[0].getMessage().endswith("x" * 1024 + "...")


def test_task_logger_records_carry_the_running_calls_id_and_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = get_task_logger("tests.tasklog")
    assert get_task_logger("tests.tasklog") is logger and len(logger.filters) == 1
    caplog.set_level(logging.INFO, logger="tests.tasklog")
    logger.info("outside")
    request = TaskRequest(task_name="app.report", args=[], kwargs={}, id=TID)
    with running(request):
        logger.info("inside")
    outside, inside = caplog.records
    assert (outside.task_id, outside.task_name) == (None, None)  # type: ignore[attr-defined]
    assert (inside.task_id, inside.task_name) == (TID, "app.report")  # type: ignore[attr-defined]


def test_an_unknown_level_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="'LOUD'"):
        configure_worker_logging("LOUD")
