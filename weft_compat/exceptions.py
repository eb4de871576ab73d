"""The weft_compat exception tree.

Every error the library raises derives from `WeftCompatError` and, where it refines a
builtin, from that builtin too, so `except ValueError` keeps working for callers who
never heard of this package. The exceptions raised *inside* tasks keep Celery's
names (`SoftTimeLimitExceeded`, `TimeLimitExceeded`) so migrated `except` clauses
keep their meaning.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "ArgumentNotSerializable",
    "BrokerUnavailable",
    "CallRefused",
    "CallTooLarge",
    "CeleryNameRemoved",
    "DuplicateTaskName",
    "HandleNotBound",
    "InvalidCallArguments",
    "InvalidCursor",
    "InvalidOptionValue",
    "InvalidTaskId",
    "InvalidTaskName",
    "MaxRetriesExceededError",
    "ResultNotReady",
    "ResultNotSerializable",
    "Retry",
    "SoftTimeLimitExceeded",
    "TaskNotRegistered",
    "TaskRevokedError",
    "TimeLimitExceeded",
    "UnsupportedOption",
    "WeftCompatError",
    "WorkerLostError",
    "WorkflowFailed",
    "WorkflowStopped",
]

GUIDE = "migration_guide"


class WeftCompatError(Exception):
    """Base class of every error weft_compat raises."""


class UnsupportedOption(WeftCompatError, ValueError):
    """A task or call option that weft_compat cannot honour, or does not know."""


class InvalidOptionValue(WeftCompatError, ValueError):
    """A known option given a value it cannot take (a negative limit, a bad queue name)."""


class CeleryNameRemoved(WeftCompatError, AttributeError):
    """A Celery name (`delay`, `apply_async`, `s`, ...) read on a `WeftTask`.

    The replacement is named in the message; the names are not aliased on purpose,
    because their Celery semantics (signatures, result backends) do not carry over.
    """


class ArgumentNotSerializable(WeftCompatError, TypeError):
    """A call argument that Celery-compatible JSON cannot encode; nothing was submitted."""


class CallTooLarge(WeftCompatError, ValueError):
    """A call whose encoded arguments exceed Weft's message size; nothing was submitted."""


class InvalidCallArguments(WeftCompatError, TypeError):
    """Arguments that do not fit the task's signature; nothing was submitted."""


class ResultNotSerializable(WeftCompatError, TypeError):
    """A task returned a value that Celery-compatible JSON cannot encode."""


class DuplicateTaskName(WeftCompatError, ValueError):
    """Two different functions registered under one task name."""


class TaskNotRegistered(WeftCompatError, LookupError):
    """A task name that no imported module registered."""


class InvalidTaskName(WeftCompatError, TypeError):
    """A task name that is not a non-empty string (`enqueue(None)`)."""


class InvalidTaskId(WeftCompatError, ValueError):
    """A task id that is neither a 19-digit Weft tid nor a UUID in Celery's form."""


class InvalidCursor(WeftCompatError, ValueError):
    """A cursor into the list of recent calls that no page of it handed out."""


class ResultNotReady(WeftCompatError, ValueError):
    """A result was read before the task succeeded (as `django.tasks` raises)."""


class HandleNotBound(WeftCompatError, RuntimeError):
    """A deferred handle was read before its transaction committed."""


class BrokerUnavailable(WeftCompatError, ConnectionError):
    """The configured broker (PostgreSQL) cannot be reached or set up; nothing was queued."""


class CallRefused(WeftCompatError, RuntimeError):
    """A worker refused a call it cannot run as queued (another project's settings)."""


class SoftTimeLimitExceeded(WeftCompatError):
    """Raised inside a task when its `soft_time_limit` expires.

    Catch it to clean up; the hard limit (`time_limit`) still ends the process later.
    """


class TimeLimitExceeded(WeftCompatError):
    """The task ran past its hard `time_limit` and Weft ended its process."""


class WorkerLostError(WeftCompatError):
    """The pool process running the call died mid-run, and the call was not redelivered."""


class Retry(WeftCompatError):
    """Raised by `self.retry(...)`: the call was scheduled again (Celery's `Retry`).

    `exc` is the error that caused the retry, `when` the countdown in seconds or the
    due datetime. The worker records the call as `RETRY`; it is not a failure.
    """

    def __init__(
        self,
        message: str | None = None,
        exc: BaseException | None = None,
        when: float | datetime | None = None,
    ) -> None:
        self.message = message
        self.exc = exc
        self.when = when
        super().__init__(message, exc, when)

    def humanize(self) -> str:
        """`in 10s` or `at <datetime>`, as Celery words it."""
        return f"at {self.when}" if isinstance(self.when, datetime) else f"in {self.when}s"

    def __str__(self) -> str:
        if self.message:
            return self.message
        if self.exc is not None:
            return f"Retry {self.humanize()}: {self.exc!r}"
        return f"Retry {self.humanize()}"


class MaxRetriesExceededError(WeftCompatError):
    """`self.retry()` was called after `max_retries` retries and no `exc` was given."""


class TaskRevokedError(WeftCompatError):
    """The call was revoked: stopped on request, or not started before it expired."""


class WorkflowStopped(TaskRevokedError):
    """A workflow step that never ran: an earlier step failed, or the workflow was revoked."""


class WorkflowFailed(WeftCompatError):
    """A workflow waited on with `WorkflowSubmission.wait()` failed; names the step."""
