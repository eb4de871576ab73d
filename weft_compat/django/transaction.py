"""`enqueue_on_commit`: submit a call when the database transaction commits.

The call is validated and its arguments encoded *before* `transaction.on_commit` is
registered, so a bad call fails in the view that made it, and the arguments are a
snapshot (later changes to a mutable argument are not seen). A rollback submits nothing.
A test that patches the task's `enqueue` sees the call at commit, as a patch of `delay`
saw Celery's `delay_on_commit`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, transaction

from weft_compat import _serialization
from weft_compat._deferred import WeftDeferredSubmission
from weft_compat._submit import dispatch, prepare_call, retimed

if TYPE_CHECKING:
    from weft_compat._task import WeftTask

__all__ = ["enqueue_on_commit"]


def enqueue_on_commit(
    task: WeftTask[Any, Any], args: Sequence[Any], kwargs: Mapping[str, Any]
) -> WeftDeferredSubmission:
    """Prepare the call now; submit it when the transaction on the task's database commits."""
    prepared = prepare_call(task, args, kwargs)
    database = task.options.database or DEFAULT_DB_ALIAS
    deferred = WeftDeferredSubmission(task.name, database)

    def submit_after_commit() -> None:
        patched = vars(task).get("enqueue")
        if patched is not None:
            # A test replaced this task's `enqueue` (as it replaced `delay` under Celery,
            # whose `delay_on_commit` calls `delay` at commit): it sees the call, with
            # the arguments as they were snapshot, and whatever it returns is the handle.
            call = _serialization.decode(prepared.envelope.call)
            deferred.bind(patched(*call["args"], **call["kwargs"]))
            return
        deferred.bind(dispatch(retimed(prepared)))

    # robust=False: a failed submission raises in the committing code, as Celery's
    # publish error would, instead of being logged and lost.
    transaction.on_commit(submit_after_commit, using=database)
    return deferred
