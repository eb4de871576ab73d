"""What Django's immediate-backend tests need to run against a worker: a backend whose
`enqueue` returns once a worker has ended the call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.tasks import Task, TaskResult

from weft_compat import WeftSubmission
from weft_compat.django.backend import WeftTaskBackend

# How long a call may take there.
CALL_TIMEOUT = 60.0


class WaitingWeftTaskBackend(WeftTaskBackend):
    """`WeftTaskBackend`, waiting in `enqueue` for a worker to end the call, so tests that
    read a finished result right after `enqueue` read one a worker produced."""

    def enqueue(
        self, task: Task[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> TaskResult[Any, Any]:
        result = super().enqueue(task, args, kwargs)
        WeftSubmission.from_tid(result.id).result(timeout=CALL_TIMEOUT)
        return self.get_result(result.id)
