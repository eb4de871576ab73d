"""The call envelope: everything a worker needs to run one call, as JSON.

It is the payload of the Weft task (isolated lane), the message a pool process
claims (pooled lane), or the message a mover holds until the call is due. The
arguments are one Celery-compatible JSON text, encoded once in the caller, so the
worker decodes exactly what was validated at enqueue.

An envelope is data, never code: it names its task, but no module to import, no
`sys.path` entry and no TaskSpec a worker would act on. Its `settings_module` routes
the call to a pool of that Django project, and a worker refuses a call whose settings
module is not its own (`_worker_config`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field
from typing import Any, Final

from weft_compat import _serialization
from weft_compat.exceptions import WeftCompatError

__all__ = ["ENVELOPE_VERSION", "Envelope"]

ENVELOPE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """One call of one task."""

    task: str
    call: str
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
    # concurrency and prefetch (pooled); the Weft TaskSpec's limits and metadata
    # (isolated), which a mover applies to the fixed worker template, never as a spec.
    lane: str = "isolated"
    concurrency: int | None = None
    prefetch_multiplier: int | None = None
    taskspec: dict[str, Any] | None = None
    # Deferred work and retries: when the call is due and when it expires (Unix seconds),
    # and the id its handle goes by when this attempt's own id differs (a retry, or an
    # isolated call submitted by the mover).
    eta: float | None = None
    expires: float | None = None
    # Seconds the call's record is kept once it ends (0: for ever).
    result_expires: float | None = None
    # Whether its outcome keeps its arguments, queue, host and start (`RESULT_EXTENDED`
    # where it was enqueued; a worker whose own setting is on keeps them anyway).
    result_extended: bool = False
    call_id: str | None = None
    # An isolated call submitted by a mover runs only if it takes this claim first (the
    # mover's claimed queue and the deferred message's id): the idempotency key.
    claim_queue: str | None = None
    claim_id: int | None = None
    # The id of the user who enqueued the call (`_owner`), read by handles while it waits
    # and copied into its outcome when it ends.
    owner: str | None = None
    # A workflow step: the workflow's id and the step's index in its plan (`canvas`).
    workflow: dict[str, Any] | None = None
    version: int = ENVELOPE_VERSION

    def to_payload(self) -> dict[str, Any]:
        """The JSON-ready form submitted to Weft: the fields that differ from their
        defaults (a reader fills in the rest), and always the version."""
        # Field by field rather than `asdict`, which deep-copies (a fifth of an enqueue).
        body = {
            name: value
            for name, default in _DEFAULTS.items()
            if (value := getattr(self, name)) != default
        }
        body["version"] = self.version
        return {"weft_compat": body}

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
        if (
            not isinstance(body, Mapping)
            or body.get("version") != ENVELOPE_VERSION
            or not isinstance(body.get("task"), str)
            or not isinstance(body.get("call"), str)
        ):
            raise WeftCompatError(
                f"the work item {payload!r:.200} is not a weft_compat call envelope "
                f"(version {ENVELOPE_VERSION}); submit it through WeftTask.enqueue"
            )
        # Fields of other versions of this release line (such as ones it no longer reads)
        # are left out rather than refused: a message in flight across an upgrade runs.
        fields = {key: value for key, value in body.items() if key in _CHECKS}
        for key, value in fields.items():
            if not _CHECKS[key](value):
                raise WeftCompatError(
                    f"the work item's {key}={_serialization.describe(value)} is not a "
                    f"{_FIELD_TYPES[key]}; submit calls through WeftTask.enqueue"
                )
        return cls(**fields)


# Each field's type, checked on the way in, so a message written by anything else than
# `enqueue` fails as a whole rather than deep inside a worker.
_FIELD_TYPES: Final[dict[str, str]] = {
    "task": "str",
    "call": "str",
    "settings_module": "str | None",
    "attempt": "int",
    "soft_time_limit": "float | None",
    "ignore_result": "bool",
    "headers": "dict",
    "queue": "str | None",
    "time_limit": "float | None",
    "redeliver": "bool",
    "lane": "str",
    "concurrency": "int | None",
    "prefetch_multiplier": "int | None",
    "taskspec": "dict | None",
    "eta": "float | None",
    "expires": "float | None",
    "result_expires": "float | None",
    "result_extended": "bool",
    "call_id": "str | None",
    "claim_queue": "str | None",
    "claim_id": "int | None",
    "owner": "str | None",
    "workflow": "dict | None",
    "version": "int",
}
assert set(_FIELD_TYPES) == set(Envelope.__dataclass_fields__)

# Each field's default (`task` and `call` have none: a sentinel no value equals).
_DEFAULTS: Final[dict[str, Any]] = {
    name: (
        spec.default
        if spec.default is not MISSING
        else spec.default_factory()
        if spec.default_factory is not MISSING
        else MISSING
    )
    for name, spec in Envelope.__dataclass_fields__.items()
}


def _checker(kind: str) -> Callable[[Any], bool]:
    # One predicate per field, built once: a worker checks every field of every call.
    optional = kind.endswith(" | None")
    base = kind.removesuffix(" | None")
    if base == "float":

        def check(value: Any) -> bool:
            return type(value) in (int, float) and math.isfinite(value)

    else:
        exact = {"int": int, "str": str, "bool": bool, "dict": dict}[base]

        def check(value: Any) -> bool:
            return type(value) is exact

    if optional:
        return lambda value: value is None or check(value)
    return check


_CHECKS: Final[dict[str, Callable[[Any], bool]]] = {
    name: _checker(kind) for name, kind in _FIELD_TYPES.items()
}
