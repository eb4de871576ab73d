"""`django.tasks` tasks on weft_compat's backend (the test settings' "weft" alias), which
the workers of the broker tests import by their module."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.tasks import TaskContext, TaskResult, task
from django.tasks.signals import task_enqueued, task_finished, task_started


@task(backend="weft")
def add(x: int, y: int) -> int:
    return x + y


@task(backend="weft", queue_name="isolated")
def add_isolated(x: int, y: int) -> int:
    return x + y


@task(backend="weft")
async def add_async(x: int, y: int) -> int:
    return x + y


@task(backend="weft", takes_context=True)
def describe_context(context: TaskContext[..., Any], tag: str) -> dict[str, Any]:
    result = context.task_result
    return {
        "attempt": context.attempt,
        "id": result.id,
        "status": str(result.status),
        "tag": tag,
        "worker_ids": result.worker_ids,
        "pid": os.getpid(),
    }


@task(backend="weft")
def fail(message: str) -> None:
    raise LookupError(message)


@task(backend="weft")
def exit_now(message: str) -> None:
    raise SystemExit(message)


@task(backend="weft")
def interrupt(message: str) -> None:
    raise KeyboardInterrupt(message)


@task(backend="weft")
def return_lambda() -> Any:
    return lambda: True


@task(backend="weft")
def write_to(path: str, text: str) -> str:
    Path(path).write_text(json.dumps({"text": text, "pid": os.getpid()}))
    return text


@task(backend="weft")
def journalled(path: str, outcome: str) -> str:
    if outcome == "fail":
        raise ValueError("as asked")
    return outcome


def _journal(signal: str) -> Any:
    def receiver(sender: type, task_result: TaskResult[Any, Any], **kwargs: Any) -> None:
        if task_result.task.func is not journalled.func:
            return
        entry = {
            "signal": signal,
            "pid": os.getpid(),
            "id": task_result.id,
            "status": str(task_result.status),
            "sender": sender.__qualname__,
        }
        with Path(task_result.args[0]).open("a") as journal:
            journal.write(json.dumps(entry) + "\n")

    return receiver


# Receivers connected wherever this module is imported, the workers included: each writes
# what it saw to the journal the call names.
_receivers = {name: _journal(name) for name in ("task_enqueued", "task_started", "task_finished")}
task_enqueued.connect(_receivers["task_enqueued"], weak=False)
task_started.connect(_receivers["task_started"], weak=False)
task_finished.connect(_receivers["task_finished"], weak=False)
