"""The Weft function target that runs one weft_compat call in a worker process.

Weft imports `weft_compat.worker:run` in a fresh interpreter and passes it the call
envelope. It prepares the process (the task module's import root, Django when a
settings module travels with the call), runs the call, stores the outcome where any
process can read it, and re-raises a failure so Weft records the task as failed.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from weft_compat._client import get_client
from weft_compat._envelope import Envelope
from weft_compat._execute import CallResult, run_call
from weft_compat._outcome import write_outcome

__all__ = ["execute", "run"]


def run(payload: Any = None) -> Any:
    """Run one call; Weft calls this with the envelope the caller submitted."""
    envelope = Envelope.from_payload(payload)
    tid = get_client().tasks.resolve_tid(pid=os.getpid())
    result = execute(envelope, request_id=tid)
    if tid is not None and not (envelope.ignore_result and result.exception is None):
        write_outcome(tid, result.outcome)
    if result.exception is not None:
        raise result.exception
    # Weft's own tools (`weft result`) show the plain JSON; handles read the stored outcome.
    value = result.outcome.value
    return None if value is None else json.loads(value)


def execute(envelope: Envelope, *, request_id: str | None) -> CallResult:
    """Prepare this process for the call (its import root, Django) and run it.

    Both lanes' worker processes run calls through here.
    """
    if envelope.import_root and envelope.import_root not in sys.path:
        sys.path.insert(0, envelope.import_root)
    if envelope.settings_module:
        from weft_compat.django.worker import django_call

        with django_call(envelope.settings_module):
            return run_call(envelope, request_id=request_id)
    return run_call(envelope, request_id=request_id)
