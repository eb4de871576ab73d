"""A task and its signal receivers, for the broker-backed signal tests.

Workers import this module as they import any task module of the process that started
them (it defines a task), so the receivers below are connected there too, which is
where the migration guide tells projects to put theirs. Each receiver appends what it
saw, as one JSON line, to the journal file the call names as its first argument (the
publish receivers only for calls enqueued with the header `journal`, so the tests that
count the task signals see those alone).
"""

from __future__ import annotations

import json
import os
from typing import Any

from weft_compat import weft_task
from weft_compat.signals import (
    after_task_publish,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_revoked,
    task_success,
)


@weft_task(bind=True, name="tests.signal_tasks.signalled")
def signalled(self: Any, journal: str, outcome: str) -> str:
    """Succeeds, fails, or retries once (then succeeds), as `outcome` says."""
    if outcome == "retry" and self.request.retries == 0:
        raise self.retry(exc=ValueError("again"), countdown=0)
    if outcome == "fail":
        raise LookupError("no such order")
    return "ok"


def _note(journal: str, signal: str, **seen: Any) -> None:
    with open(journal, "a", encoding="utf-8") as file:
        file.write(json.dumps({"signal": signal, "pid": os.getpid(), **seen}) + "\n")


@task_prerun.connect(sender=signalled)
def _prerun(task_id: str, task: Any, args: list[Any], kwargs: dict[str, Any], **_: Any) -> None:
    _note(args[0], "task_prerun", task_id=task_id, task=task.name, args=args, kwargs=kwargs)


@task_success.connect(sender=signalled)
def _success(sender: Any, result: Any, **_: Any) -> None:
    _note(sender.request.args[0], "task_success", task_id=sender.request.id, result=result)


@task_failure.connect(sender=signalled)
def _failure(
    task_id: str, exception: BaseException, args: list[Any], einfo: Any, traceback: Any, **_: Any
) -> None:
    _note(
        args[0],
        "task_failure",
        task_id=task_id,
        exception=repr(exception),
        einfo="LookupError" in einfo.traceback,
        traceback=traceback is not None,
    )


@task_retry.connect(sender=signalled)
def _retry(request: Any, reason: Any, einfo: Any, **_: Any) -> None:
    _note(
        request.args[0],
        "task_retry",
        task_id=request.id,
        retries=request.retries,
        reason=repr(reason.exc),
        einfo=einfo.type.__name__,
    )


@task_revoked.connect(sender=signalled)
def _revoked(request: Any, terminated: bool, signum: Any, expired: bool, **_: Any) -> None:
    _note(
        request.args[0],
        "task_revoked",
        task_id=request.id,
        terminated=terminated,
        signum=signum,
        expired=expired,
    )


@task_postrun.connect(sender=signalled)
def _postrun(task_id: str, args: list[Any], retval: Any, state: str, **_: Any) -> None:
    _note(args[0], "task_postrun", task_id=task_id, state=state, retval=repr(retval))


@before_task_publish.connect(sender=signalled.name)
def _before_publish(body: Any, headers: dict[str, Any], **_: Any) -> None:
    if headers.get("journal"):
        _note(body[0][0], "before_task_publish", id=headers["id"], retries=headers["retries"])


@after_task_publish.connect(sender=signalled.name)
def _after_publish(body: Any, headers: dict[str, Any], **_: Any) -> None:
    if headers.get("journal"):
        _note(body[0][0], "after_task_publish", id=headers["id"], retries=headers["retries"])
