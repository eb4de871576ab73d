"""The Weft function target that runs one weft_compat call, and what both lanes share.

Weft imports `weft_compat.worker:run` in a fresh interpreter and passes it the call
envelope (the isolated lane); pool processes call `serve_call` for each call they claim
(the pooled lane). Either way the process is prepared from its own configuration
(`_worker_config`: the task modules it may import, and Django when the deployment's
settings module is configured), never from the envelope; an expired call is not started,
the call runs, and `finish` stores its outcome on the call's record where any process
can read it, or schedules its next attempt when it asked for a retry.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from weft_compat import _registry
from weft_compat._broker import get_broker
from weft_compat._client import get_client
from weft_compat._config import current_settings
from weft_compat._envelope import Envelope
from weft_compat._execute import CallResult, announce_expired, run_call
from weft_compat._expiry import maybe_sweep
from weft_compat._manager import note_activity
from weft_compat._outcome import (
    SUBMITTED,
    extended,
    note,
    read_events,
    read_outcome,
    refused_outcome,
    settled,
    write_outcome,
)
from weft_compat._tasklog import call_ended, call_received
from weft_compat._worker_config import WorkerConfig
from weft_compat.canvas._advance import finish_step
from weft_compat.due._queue import expired_outcome, is_expired, schedule_retry

__all__ = ["call_scope", "execute", "finish", "prepare", "run", "serve_call"]


def run(payload: Any = None, config: Any = None) -> Any:
    """Run one call; Weft calls this with the envelope and the worker configuration.

    The configuration comes from the TaskSpec built from the task's registered template
    (`_taskspec`); the envelope may name a settings module only if the configuration
    does.
    """
    envelope = Envelope.from_payload(payload)
    worker_config = WorkerConfig.from_data(config)
    settings = (
        envelope.settings_module if envelope.settings_module in worker_config.settings else None
    )
    prepare(worker_config, settings)
    if not _take_claim(envelope):
        return None  # Another submission of this deferred call took it: run nothing.
    tid = get_client().tasks.resolve_tid(pid=os.getpid())
    record = envelope.call_id or tid
    if envelope.call_id is not None:
        if envelope.claim_id is not None and tid is not None:
            # Link the record to this task before anything else, in case the mover that
            # submitted it was lost before it could.
            note(
                envelope.call_id,
                SUBMITTED,
                attempt_id=tid,
                due=envelope.claim_id,
                task=envelope.task,
            )
        if read_outcome(envelope.call_id) is not None:
            return None  # Revoked (or otherwise ended) while this attempt waited.
    started = time.time()
    result = execute(envelope, request_id=record, settings_module=settings)
    if record is not None:
        finish(envelope, record, result, started=started)
    maybe_sweep()
    note_activity()
    if result.exception is not None and result.retry is None:
        raise result.exception
    # Weft's own tools (`weft result`) show the plain JSON; handles read the stored outcome.
    value = result.outcome.value
    return None if value is None else json.loads(value)


def serve_call(envelope: Envelope, record: str, *, settings_module: str | None) -> None:
    """Run a claimed pooled call unless its record shows it ended or moved on already.

    A call is redelivered when its pool process is lost; if that happened after the
    call ended or scheduled its retry, running it again would repeat that.
    `settings_module` is the pool's own.
    """
    if settled(read_events(record), envelope.attempt):
        return
    started = time.time()
    result = execute(envelope, request_id=record, settings_module=settings_module)
    finish(envelope, record, result, batched=True, started=started)


def prepare(config: WorkerConfig, settings_module: str | None) -> None:
    """Load this worker's configuration: its `sys.path` entries, Django (its apps'
    tasks), then the configured modules."""
    config.extend_path()
    if settings_module:
        from weft_compat.django.worker import setup_django

        setup_django(settings_module)
    config.load()


def execute(
    envelope: Envelope, *, request_id: str | None, settings_module: str | None
) -> CallResult:
    """Run the call in this prepared worker, whose Django settings are `settings_module`.

    A call whose `expires` moment has passed is not started and ends `REVOKED` (after
    `task_revoked`, as Celery's worker sends it); one queued for another Django project
    (or for one this worker is not) is refused.
    """
    tid = request_id or "?"
    call_received(envelope.task, tid)
    started = time.perf_counter()
    result = _execute(envelope, request_id=request_id, settings_module=settings_module)
    call_ended(envelope.task, tid, result.outcome, result.retry, time.perf_counter() - started)
    return result


def _execute(
    envelope: Envelope, *, request_id: str | None, settings_module: str | None
) -> CallResult:
    if is_expired(envelope):
        if envelope.settings_module == settings_module:
            with call_scope(settings_module):  # receivers may use the database
                announce_expired(envelope, request_id)
        return CallResult(expired_outcome(envelope))
    if envelope.settings_module != settings_module:
        return CallResult(refused_outcome(envelope.task, envelope.settings_module, settings_module))
    with call_scope(settings_module):
        return run_call(envelope, request_id=request_id)


def call_scope(settings_module: str | None) -> AbstractContextManager[None]:
    """Django's fresh connections around a call (or a signal's receivers), in a process
    prepared for the Django project `settings_module`."""
    if not settings_module:
        return nullcontext()
    from weft_compat.django.worker import django_call

    return django_call(settings_module)


def finish(
    envelope: Envelope,
    record: str,
    result: CallResult,
    *,
    batched: bool = False,
    started: float | None = None,
) -> None:
    """Store the call's outcome on its record, or schedule the retry it asked for.

    `batched`: a pool process indexes the ended call for expiry with the next batch;
    `started`: when the call started (Unix seconds), kept with `RESULT_EXTENDED`.
    """
    if result.retry is not None:
        task = _registry.lookup(envelope.task)
        need = task.worker_config if task is not None else WorkerConfig()
        schedule_retry(envelope, record, result.retry, result.outcome, need)
        return
    # An ignored result is stored as SUCCESS without a value: the state, nothing more.
    outcome = extended(result.outcome, envelope, started=started)
    if envelope.workflow is not None:
        # A workflow step: its outcome and what follows from it, in one transaction.
        task = _registry.lookup(envelope.task)
        finish_step(
            envelope,
            record,
            outcome,
            expires=(
                envelope.result_expires
                if envelope.result_expires is not None
                else current_settings().RESULT_EXPIRES
            ),
            batched=batched,
            need=task.worker_config if task is not None else WorkerConfig(),
        )
        return
    write_outcome(record, outcome, expires=envelope.result_expires, batched=batched)


def _take_claim(envelope: Envelope) -> bool:
    # The idempotency key of a call submitted by a mover: only one submission takes it.
    if envelope.claim_queue is None or envelope.claim_id is None:
        return True
    return get_broker().delete_message_ids(envelope.claim_queue, [envelope.claim_id]) == 1
