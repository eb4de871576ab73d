"""Tasks the broker-backed tests run on real Weft (imported by name in the workers)."""

from __future__ import annotations

import os
import time
from typing import Any

from weft_compat import WeftTaskBase, weft_task
from weft_compat.exceptions import SoftTimeLimitExceeded


@weft_task
def add(x: int, y: int) -> int:
    return x + y


@weft_task
def echo(value: Any) -> Any:
    return value


@weft_task(bind=True, name="tests.whoami")
def whoami(self: Any, tag: str, *, flag: bool = False) -> dict[str, Any]:
    request = self.request
    return {
        "id": request.id,
        "retries": request.retries,
        "args": request.args,
        "kwargs": request.kwargs,
        "called_directly": request.called_directly,
        "name": self.name,
        "tag": tag,
        "flag": flag,
    }


@weft_task
def explode(message: str) -> None:
    raise LookupError(message)


@weft_task(soft_time_limit=1, time_limit=60)
def cleans_up_after_soft_limit() -> str:
    try:
        time.sleep(8)
    except SoftTimeLimitExceeded:
        return "cleaned up"
    return "was not interrupted"


@weft_task(time_limit=1)
def hangs() -> None:
    time.sleep(30)


@weft_task
def sleeps(seconds: float) -> str:
    time.sleep(seconds)
    return "woke up"


@weft_task
def returns_a_set() -> object:
    return {1, 2, 3}


@weft_task(ignore_result=True)
def ignored() -> int:
    return 42


@weft_task(
    name="tests.every_honoured_option",
    bind=True,
    time_limit=30,
    soft_time_limit=20,
    ignore_result=False,
    typing=True,
    serializer="json",
    queue="emails",
    priority=5,
    acks_late=True,
    track_started=True,
    reject_on_worker_lost=True,
    memory_mb=512,
    cpu_percent=90,
    metadata={"team": "billing"},
)
def every_honoured_option(self: Any, amount: int) -> int:
    return amount * 2


def _first_delivery(marker: str) -> bool:
    """Record this process's pid in `marker`; True the first time only."""
    first = not os.path.exists(marker)
    with open(marker, "a") as file:
        file.write(f"{os.getpid()}\n")
    return first


@weft_task
def lost_once(marker: str) -> str:
    """Hangs on its first delivery (the test kills its process), returns on the next."""
    if _first_delivery(marker):
        time.sleep(60)
    return "redelivered"


@weft_task(acks_late=False)
def lost_for_good(marker: str) -> str:
    """Like `lost_once`, but opts out of redelivery with Celery's `acks_late=False`."""
    if _first_delivery(marker):
        time.sleep(60)
    return "redelivered"


@weft_task(bind=True)
def reports_progress(self: Any, marker: str) -> str:
    """Reports PROGRESS, then waits until the test has read it (the marker file exists)."""
    self.update_state(state="PROGRESS", meta={"done": 1, "total": 2})
    deadline = time.monotonic() + 60
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return "finished"


@weft_task
def reports_progress_unbound(marker: str) -> str:
    """The same, through the module-level helper (Celery's `current_task.update_state`)."""
    from weft_compat import update_state

    update_state(state="RESIZING", meta={"step": "thumbnails"})
    deadline = time.monotonic() + 60
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return "finished"


def _attempt(marker: str) -> int:
    """Append this attempt's start time to `marker`; returns how many attempts ran."""
    with open(marker, "a") as file:
        file.write(f"{time.time()}\n")
    with open(marker) as file:
        return len(file.read().splitlines())


@weft_task
def stamped(marker: str) -> float:
    """Records when it started (for lateness) and returns that time."""
    _attempt(marker)
    return time.time()


@weft_task(bind=True, autoretry_for=(ConnectionError,), default_retry_delay=0.2)
def flaky(self: Any, marker: str, failures: int) -> dict[str, int]:
    """Fails with ConnectionError `failures` times, then reports its attempt and retries."""
    attempts = _attempt(marker)
    if attempts <= failures:
        raise ConnectionError(f"attempt {attempts} could not connect")
    return {"attempts": attempts, "retries": self.request.retries}


@weft_task(bind=True)
def retries_itself(self: Any, marker: str) -> int:
    """Retries twice through `self.retry` with new arguments, then returns its retries."""
    _attempt(marker)
    if self.request.retries < 2:
        raise self.retry(args=(marker,), exc=ValueError("not yet"), countdown=0.2)
    return int(self.request.retries)


@weft_task(autoretry_for=(ConnectionError,), max_retries=2, default_retry_delay=0.1)
def never_connects(marker: str) -> None:
    """Always fails: ends FAILURE with its own error after `max_retries` retries."""
    _attempt(marker)
    raise ConnectionError("the warehouse is down")


@weft_task(bind=True)
def retries_without_exc(self: Any, marker: str) -> None:
    """Retries with no `exc`: past the limit, MaxRetriesExceededError."""
    _attempt(marker)
    raise self.retry(countdown=0.1, max_retries=1)


@weft_task(
    autoretry_for=(ConnectionError,),
    retry_backoff=1,
    retry_jitter=False,
    max_retries=2,
)
def backs_off(marker: str) -> str:
    """Fails twice; back-off without jitter makes the delays 1 s, then 2 s."""
    if _attempt(marker) <= 2:
        raise ConnectionError("busy")
    return "done"


@weft_task(bind=True)
def retries_once_slowly(self: Any, marker: str) -> str:
    """Retries once after 4 s, so a handle can read RETRY in between."""
    if _attempt(marker) == 1:
        raise self.retry(exc=TimeoutError("upstream timed out"), countdown=4)
    return "second time lucky"


class Journal(WeftTaskBase):
    """A task class whose hooks write what they saw to the file the call names."""

    def note(self, marker: str, text: str) -> None:
        with open(marker, "a") as file:
            file.write(f"{text}\n")

    def before_start(self, task_id: str | None, args: Any, kwargs: Any) -> None:
        self.note(args[0], f"before_start {task_id == self.request.id}")

    def on_success(self, retval: Any, task_id: str | None, args: Any, kwargs: Any) -> None:
        self.note(args[0], f"on_success {retval}")

    def on_failure(
        self, exc: BaseException, task_id: str | None, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        self.note(args[0], f"on_failure {type(exc).__name__} {'LookupError' in einfo.traceback}")

    def on_retry(
        self, exc: BaseException, task_id: str | None, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        self.note(args[0], f"on_retry {exc}")

    def after_return(
        self,
        status: str,
        retval: Any,
        task_id: str | None,
        args: Any,
        kwargs: Any,
        einfo: Any,
    ) -> None:
        self.note(args[0], f"after_return {status}")


@weft_task(base=Journal, bind=True)
def journaled(self: Any, marker: str, outcome: str) -> str:
    """Succeeds, fails, or retries once (then succeeds), as `outcome` says."""
    if outcome == "retry" and self.request.retries == 0:
        raise self.retry(exc=ValueError("again"), countdown=0)
    if outcome == "fail":
        raise LookupError("no such order")
    return "ok"


@weft_task(bind=True)
def note_tick(self: Any, path: str) -> str:
    """Append this call's id to `path`: one line per run, so a tick run twice shows."""
    with open(path, "a", encoding="utf-8") as notes:
        notes.write(f"{self.request.id}\n")
    return str(self.request.id)
