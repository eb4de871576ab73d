"""Finding and revoking a pooled call by id, and asking a master to shut down.

A pooled call is, at any moment, waiting in its queue's pending queue, held in a pool
process's running queue, or ended (its record holds the outcome). Handles use
`locate_pooled` for the first two; `revoke_pooled` cancels a waiting call directly and
asks the master holding a running one to stop it.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from weft_compat._broker import PREFIX, control_queue, get_broker, running_prefix
from weft_compat._outcome import write_outcome
from weft_compat.pool._release import revoked

__all__ = ["locate_pooled", "request_shutdown", "revoke_pooled"]

_PENDING_PREFIX: Final = f"{PREFIX}.queue."


def _task_name(body: str) -> str | None:
    task = json.loads(body).get("weft_compat", {}).get("task")
    return str(task) if task is not None else None


def locate_pooled(call_id: int) -> tuple[Literal["queued", "running"], str | None, str] | None:
    """Where the pooled call is: (`queued` or `running`, task name, queue), or None."""
    broker = get_broker()
    for status, prefix in (("queued", _PENDING_PREFIX), ("running", running_prefix())):
        for queue in broker.list_queues(prefix=prefix):
            body = broker.peek_one(queue, exact_timestamp=call_id, with_timestamps=False)
            if body is not None:
                return status, _task_name(body), queue  # type: ignore[return-value]
    return None


def revoke_pooled(
    call_id: int, signal_name: Literal["TERM", "KILL"], *, record: str | None = None
) -> bool:
    """Cancel a waiting call or stop a running one; False if the call is not in a pool.

    `record` is the handle's id when `call_id` is a later attempt's message.
    """
    broker = get_broker()
    found = locate_pooled(call_id)
    if found is None:
        return False
    status, task, queue = found
    if status == "queued" and broker.delete_message_ids(queue, [call_id]) == 1:
        write_outcome(record or str(call_id), revoked(task, signal_name))
        return True
    if status == "queued":  # Claimed in the meantime: it is running now.
        found = locate_pooled(call_id)
        if found is None or found[0] != "running":
            return found is None
        queue = found[2]
    master_tid = queue.rsplit(".", 2)[-2]
    request = {"revoke": str(call_id), "signal": signal_name}
    broker.write(control_queue(master_tid), json.dumps(request))
    return True


def request_shutdown(master_tid: str) -> None:
    """Ask a master to stop taking calls, finish the running ones and exit."""
    get_broker().write(control_queue(master_tid), json.dumps({"shutdown": True}))
