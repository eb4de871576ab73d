"""Celery's `task_revoked`, sent wherever a call ends revoked, and the request it carries.

Celery's worker sends it as it discards a call that expired or was revoked, and as it
terminates a running one. Here a call is revoked by the process that asks
(`WeftSubmission.stop()` / `kill()`, behind the revoke view and command), so that
process sends it once the revoke is made; a call that expired is announced by the worker
that picks it up, or by the mover when it expired while waiting to be due. The sender is
the task as registered in the sending process; where it is not registered, nothing is
sent (as Celery's worker sends nothing for a task it does not know).
"""

from __future__ import annotations

from weft_compat import _serialization
from weft_compat._context import TaskRequest
from weft_compat._envelope import Envelope
from weft_compat._registry import lookup
from weft_compat.signals import task_revoked

__all__ = ["announce_revoked"]


def announce_revoked(
    task_name: str | None,
    request_id: str | None,
    envelope: Envelope | None,
    *,
    retries: int | None = None,
    terminated: bool = False,
    signum: int | None = None,
    expired: bool = False,
) -> None:
    """Send `task_revoked` for the call `request_id` of `task_name`, if that task is
    registered here and anyone listens.

    The request's `args`, `kwargs` and `headers` come from `envelope`, the call's, where
    the sending process holds it (else they are empty); its `retries` from `retries`,
    else from the envelope's attempt.
    """
    task = lookup(task_name) if task_revoked.receivers and task_name else None
    if task is None:
        return
    call: dict[str, object] = {}
    if envelope is not None:
        try:
            call = _serialization.decode(envelope.call)
        except ValueError:
            call = {}
    if retries is None:
        retries = envelope.attempt - 1 if envelope is not None else 0
    args = call.get("args")
    kwargs = call.get("kwargs")
    request = TaskRequest(
        task_name=task.name,
        args=args if isinstance(args, list) else (),
        kwargs=kwargs if isinstance(kwargs, dict) else None,
        id=request_id,
        retries=retries,
        headers=envelope.headers if envelope is not None else None,
    )
    task_revoked.send(
        sender=task, request=request, terminated=terminated, signum=signum, expired=expired
    )
