"""What workers log about each call, in Celery's words, and `get_task_logger`.

Workers log through `logging`, under `weft_compat.worker`, the lines Celery's worker
logs under `celery.app.trace` and `celery.worker.strategy`:

- `Task tasks.add[1837...] received` (INFO), when a worker starts on a call;
- `Task tasks.add[1837...] succeeded in 0.0012s: 5` (INFO);
- `Task tasks.add[1837...] raised unexpected: ValueError('...')` with the traceback
  (ERROR);
- `Task tasks.add[1837...] retry: Retry in 10s` (INFO);
- `Discarding revoked task: tasks.add[1837...]` (INFO), for a call past its `expires`;
- `Task tasks.add[1837...] lost with its process: redelivered` (WARNING), by the pool
  process that puts it back.

`weft-compat worker --loglevel INFO` (Celery's `-l`) shows them on stderr, in Celery's
format, from the master and its pool processes; as with Celery, the default shows
warnings and errors only.

`get_task_logger(name)` is Celery's helper: a logger whose records carry the running
call's `task_id` and `task_name` (None outside a call), for a format such as
`"%(task_name)s[%(task_id)s]: %(message)s"`.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from weft_compat._outcome import Outcome
from weft_compat._progress import current_request
from weft_compat._retry import RetryPlan
from weft_compat._states import FAILURE, REVOKED, SUCCESS
from weft_compat.exceptions import InvalidOptionValue

__all__ = [
    "LEVELS",
    "LOGLEVEL_ENV_VAR",
    "WORKER_LOGGER",
    "call_ended",
    "call_lost",
    "call_received",
    "configure_worker_logging",
    "get_task_logger",
]

WORKER_LOGGER: Final = logging.getLogger("weft_compat.worker")
# `weft-compat worker --loglevel`: the master's level, handed to its pool processes.
LOGLEVEL_ENV_VAR: Final = "WEFT_COMPAT_LOGLEVEL"
LEVELS: Final = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Celery's worker format, with the process's name (MainProcess, or the pool slot).
_FORMAT: Final = "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s"
# Return values longer than this are cut in the log, as Celery cuts them.
_RESULT_CHARS: Final = 1024


def configure_worker_logging(level: str | None) -> None:
    """Log to stderr at `level` in Celery's format, unless logging is set up already
    (a Django project's `LOGGING`); None leaves logging as it is."""
    if level is None:
        return
    if level.upper() not in LEVELS:
        raise InvalidOptionValue(
            f"log level {level!r} is not a level; use one of {', '.join(LEVELS)}"
        )
    logging.basicConfig(level=level.upper(), format=_FORMAT)
    WORKER_LOGGER.setLevel(level.upper())


def call_received(task: str, tid: str) -> None:
    WORKER_LOGGER.info("Task %s[%s] received", task, tid)


def call_ended(
    task: str, tid: str, outcome: Outcome, retry: RetryPlan | None, seconds: float
) -> None:
    """Log how a call ended (or that it will run again) once its worker is done."""
    if retry is not None:
        delay = max(0.0, retry.eta - time.time())
        WORKER_LOGGER.info("Task %s[%s] retry: Retry in %gs", task, tid, round(delay, 3))
    elif outcome.state == SUCCESS:
        value = outcome.value if outcome.value is not None else "None"
        if len(value) > _RESULT_CHARS:
            value = value[:_RESULT_CHARS] + "..."
        WORKER_LOGGER.info("Task %s[%s] succeeded in %.6fs: %s", task, tid, seconds, value)
    elif outcome.state == FAILURE and outcome.error is not None:
        error = outcome.error
        name = error.exception_class_path.rpartition(".")[2] or "Exception"
        WORKER_LOGGER.error(
            "Task %s[%s] raised unexpected: %s(%r)\n%s",
            task,
            tid,
            name,
            error.message,
            (error.traceback or "").rstrip(),
        )
    elif outcome.state == REVOKED:
        WORKER_LOGGER.info("Discarding revoked task: %s[%s]", task, tid)


def call_lost(task: str, tid: str, what: str) -> None:
    """Log a call whose pool process died mid-run, and what was done with it."""
    WORKER_LOGGER.warning("Task %s[%s] lost with its process: %s", task, tid, what)


class _TaskFields(logging.Filter):
    """Puts the running call's id and task name on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request()
        record.task_id = request.id if request is not None else None
        record.task_name = request.task if request is not None else None
        return True


_FIELDS: Final = _TaskFields()


def get_task_logger(name: str) -> logging.Logger:
    """A logger for task modules (Celery's `celery.utils.log.get_task_logger`)."""
    logger = logging.getLogger(name)
    if _FIELDS not in logger.filters:
        logger.addFilter(_FIELDS)
    return logger
