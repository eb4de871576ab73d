"""The call envelope: everything a worker needs to run one call, as JSON.

It is the payload of the Weft task (isolated lane), the message a pool process
claims (pooled lane), or the message a mover holds until the call is due. The
arguments are one
Celery-compatible JSON text, encoded once in the caller, so the worker decodes exactly
what was validated at enqueue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from weft_compat.exceptions import WeftCompatError

__all__ = ["ENVELOPE_VERSION", "Envelope"]

ENVELOPE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """One call of one task."""

    task: str
    module: str
    call: str
    import_root: str | None = None
    settings_module: str | None = None
    attempt: int = 1
    soft_time_limit: float | None = None
    ignore_result: bool = False
    headers: dict[str, Any] = field(default_factory=dict)
    # Pooled lane: the queue the call waits in, the hard limit its pool process enforces,
    # and whether a call whose process is lost mid-run goes back to the queue.
    queue: str | None = None
    time_limit: float | None = None
    redeliver: bool = True
    # The lane the call runs in, and what its lane needs to submit it later: the pool's
    # concurrency and prefetch (pooled) or the Weft TaskSpec (isolated).
    lane: str = "isolated"
    concurrency: int | None = None
    prefetch_multiplier: int | None = None
    taskspec: dict[str, Any] | None = None
    # Deferred work and retries: when the call is due and when it expires (Unix seconds),
    # and the id its handle goes by when this attempt's own id differs (a retry, or an
    # isolated call submitted by the mover).
    eta: float | None = None
    expires: float | None = None
    call_id: str | None = None
    # An isolated call submitted by a mover runs only if it takes this claim first (the
    # mover's claimed queue and the deferred message's id): the idempotency key.
    claim_queue: str | None = None
    claim_id: int | None = None
    version: int = ENVELOPE_VERSION

    def to_payload(self) -> dict[str, Any]:
        """The JSON-ready form submitted to Weft."""
        return {"weft_compat": asdict(self)}

    def to_json(self) -> str:
        """The message the pooled lane queues."""
        return json.dumps(self.to_payload())

    @classmethod
    def from_json(cls, text: str) -> Envelope:
        """Rebuild an envelope from a pooled-lane message."""
        return cls.from_payload(json.loads(text))

    @classmethod
    def from_payload(cls, payload: Any) -> Envelope:
        """Rebuild an envelope from what Weft hands the worker."""
        body = payload.get("weft_compat") if isinstance(payload, Mapping) else None
        if not isinstance(body, Mapping) or body.get("version") != ENVELOPE_VERSION:
            raise WeftCompatError(
                f"the work item {payload!r:.200} is not a weft_compat call envelope "
                f"(version {ENVELOPE_VERSION}); submit it through WeftTask.enqueue"
            )
        return cls(**body)
