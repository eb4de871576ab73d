"""`WeftDeferredSubmission`: the handle `enqueue_on_commit` returns before the commit.

Until the transaction commits there is no Weft task, so `tid` is None and every read
that needs one raises `HandleNotBound` with a sentence saying why. At commit the call
is submitted and the handle binds to the real `WeftSubmission`; after a rollback it
stays unbound for good.
"""

from __future__ import annotations

from typing import Any

from weft.client import TaskResult

from weft_compat._outcome import TaskError
from weft_compat._submission import WeftSubmission
from weft_compat.exceptions import HandleNotBound

__all__ = ["WeftDeferredSubmission"]


class WeftDeferredSubmission:
    """A call waiting for its transaction to commit."""

    def __init__(self, name: str, database: str) -> None:
        self.name = name
        self.database = database
        self.submission: WeftSubmission | None = None

    def bind(self, submission: WeftSubmission) -> None:
        """Attach the real handle (called at commit)."""
        self.submission = submission

    @property
    def tid(self) -> str | None:
        """The task id once submitted; None before the commit."""
        return self.submission.tid if self.submission is not None else None

    @property
    def submitted(self) -> bool:
        """Whether the transaction committed and the call was submitted."""
        return self.submission is not None

    def _bound(self) -> WeftSubmission:
        if self.submission is None:
            raise HandleNotBound(
                f"the call to {self.name!r} is submitted only when the transaction on "
                f"database {self.database!r} commits, so it has no task id or result yet; "
                "read the handle after the commit"
            )
        return self.submission

    @property
    def state(self) -> str:
        """The call's Celery-style state; raises before the commit."""
        return self._bound().state

    @property
    def owner(self) -> str | None:
        """The id of the user who enqueued the call; raises before the commit."""
        return self._bound().owner

    def status(self) -> str | None:
        """The raw Weft status; raises before the commit."""
        return self._bound().status()

    def exists(self) -> bool:
        """Whether Weft knows the call; raises before the commit."""
        return self._bound().exists()

    def ready(self) -> bool:
        """Whether the call finished; raises before the commit."""
        return self._bound().ready()

    def successful(self) -> bool:
        """Whether the call succeeded; raises before the commit."""
        return self._bound().successful()

    def failed(self) -> bool:
        """Whether the call failed; raises before the commit."""
        return self._bound().failed()

    def result(self, timeout: float | None = None) -> TaskResult:
        """Wait for the call's result; raises before the commit."""
        return self._bound().result(timeout=timeout)

    @property
    def return_value(self) -> Any:
        """The return value; raises before the commit and until success."""
        return self._bound().return_value

    @property
    def errors(self) -> list[TaskError]:
        """The call's errors; raises before the commit."""
        return self._bound().errors

    @property
    def info(self) -> Any:
        """Celery's `info`; raises before the commit."""
        return self._bound().info

    def stop(self) -> None:
        """Stop the call; raises before the commit."""
        self._bound().stop()

    def kill(self) -> None:
        """Kill the call; raises before the commit."""
        self._bound().kill()

    def as_dict(self) -> dict[str, Any]:
        """The handle's summary; before the commit, the name and `submitted: False`."""
        if self.submission is None:
            return {"tid": None, "name": self.name, "submitted": False, "state": None}
        return {**self.submission.as_dict(), "submitted": True}

    def __repr__(self) -> str:
        return f"<WeftDeferredSubmission {self.name} tid={self.tid}>"
