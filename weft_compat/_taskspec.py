"""The Weft TaskSpec of an isolated call: built from a task's registered template only.

Every isolated call runs `weft_compat.worker:run`; what varies is data: the hard limit,
the memory and CPU limits, the metadata Weft shows, and the worker configuration (what
the worker may import, `_worker_config`) as the function's keyword argument. A mover
submitting a deferred isolated call rebuilds its TaskSpec with `deferred_taskspec`: the
due message contributes only those data fields, checked one by one, never a spec, so a
message cannot make Weft run anything but the worker. A call's owner (the user who
enqueued it) goes into its own TaskSpec's metadata (`with_owner`), where a handle reads it
from Weft's snapshot while the call waits or runs.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Final

from weft_compat._config import current_settings
from weft_compat._worker_config import WorkerConfig

if TYPE_CHECKING:
    from weft_compat._options import CallOptions

__all__ = [
    "OWNER_METADATA",
    "TASK_METADATA",
    "WORKER_TARGET",
    "deferred_taskspec",
    "taskspec_template",
    "with_owner",
]

# The Weft function target every isolated-lane call runs (weft_compat/worker.py).
WORKER_TARGET: Final = "weft_compat.worker:run"
# The metadata key holding the call's task name (Weft's own name for it may be its tid).
TASK_METADATA: Final = "weft_compat.task"
# The metadata key holding the id of the user who enqueued the call (`_owner`).
OWNER_METADATA: Final = "weft_compat.owner"
_LIMITS: Final = {"memory_mb": (1, 2**31), "cpu_percent": (1, 100)}


def taskspec_template(name: str, options: CallOptions, config: WorkerConfig) -> dict[str, Any]:
    """The Weft TaskSpec (without payload) for calls of the task `name` with `options`."""
    metadata: dict[str, Any] = {TASK_METADATA: name, **options.metadata}
    if options.queue is not None:
        metadata["weft_compat.queue"] = options.queue
    if options.priority is not None:
        metadata["weft_compat.priority"] = options.priority
    if options.headers:
        metadata["weft_compat.headers"] = options.headers
    limits = {
        key: value
        for key, value in (("memory_mb", options.memory_mb), ("cpu_percent", options.cpu_percent))
        if value is not None
    }
    hard = options.hard_limit or current_settings().DEFAULT_TIMEOUT
    return _taskspec(name, hard, limits, metadata, config)


def _taskspec(
    name: str,
    timeout: float | None,
    limits: dict[str, int],
    metadata: dict[str, Any],
    config: WorkerConfig,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "function",
        "function_target": WORKER_TARGET,
        "keyword_args": {"config": config.to_data()},
    }
    if timeout is not None:
        spec["timeout"] = timeout
    if limits:
        spec["limits"] = limits
    return {"name": name, "spec": spec, "metadata": metadata}


def deferred_taskspec(task: str, message: Any, config: WorkerConfig) -> dict[str, Any]:
    """The TaskSpec a mover submits for the deferred isolated call of `task`.

    Of `message` (the TaskSpec the due message carries) only the hard limit, the
    resource limits and JSON metadata are kept, each if it has the right type.
    """
    message = message if isinstance(message, dict) else {}
    spec = message.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    timeout = spec.get("timeout")
    if not _positive_number(timeout):
        timeout = None
    raw_limits = spec.get("limits")
    raw_limits = raw_limits if isinstance(raw_limits, dict) else {}
    limits = {
        key: value
        for key, (low, high) in _LIMITS.items()
        if type(value := raw_limits.get(key)) is int and low <= value <= high
    }
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or not _is_json(metadata):
        metadata = {}
    return _taskspec(task, timeout, limits, {**metadata, TASK_METADATA: task}, config)


def with_owner(taskspec: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """`taskspec` with `owner` in its metadata (a copy; the task's template is shared)."""
    if owner is None:
        return taskspec
    return {**taskspec, "metadata": {**taskspec.get("metadata", {}), OWNER_METADATA: owner}}


def _positive_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value > 0


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
