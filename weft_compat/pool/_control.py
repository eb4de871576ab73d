"""Finding and revoking a pooled call by id, and asking a master to shut down.

A pooled call is, at any moment, waiting in its queue's pending queue, held in a pool
process's running queue (running, or claimed ahead of the running call: `reserved`),
or ended (its record holds the outcome). Handles use `locate_pooled` for the first
two; `revoke_pooled` cancels a waiting call directly and asks the master holding a
claimed one to stop it.
"""

from __future__ import annotations

import json
from typing import Final, Literal

from weft_compat._broker import PREFIX, control_queue, get_broker, registry_queue, running_prefix
from weft_compat._lease import entries_in
from weft_compat._outcome import revoked, write_outcome
from weft_compat.pool._release import expires_of, owner_of, pool_of, task_of
from weft_compat.pool._slots import running_call

__all__ = ["locate_pooled", "request_shutdown", "revoke_pooled"]

_PENDING_PREFIX: Final = f"{PREFIX}.queue."
# A waiting call can be claimed between being found and being cancelled; look again.
_REVOKE_ATTEMPTS: Final = 5

PooledStatus = Literal["queued", "reserved", "running"]


def locate_pooled(call_id: int) -> tuple[PooledStatus, str, str] | None:
    """Where the pooled call is: (its status, the queue, its message), or None."""
    broker = get_broker()
    for queue in broker.list_queues(prefix=_PENDING_PREFIX):
        body = broker.peek_one(queue, exact_timestamp=call_id, with_timestamps=False)
        if body is not None:
            return "queued", queue, body
    for queue in broker.list_queues(prefix=running_prefix()):
        body = broker.peek_one(queue, exact_timestamp=call_id, with_timestamps=False)
        if body is not None:
            return _held_status(queue, call_id), queue, body
    return None


def _held_status(running: str, call_id: int) -> PooledStatus:
    # The pool's slot table says which call each process runs; the others it holds are
    # claimed ahead. Without the table (another host), the master's registry entry says,
    # as of its last renewal (at most half a second after a call starts).
    master_tid, slot = running.rsplit(".", 2)[-2:]
    current = running_call(master_tid, int(slot))
    if current is not None:
        return "reserved" if current != call_id else "running"
    registry = registry_queue(pool_of(running))
    for entry in entries_in(registry):
        if entry.tid == master_tid:
            return "running" if call_id in entry.running else "reserved"
    return "running"


def revoke_pooled(
    call_id: int, signal_name: Literal["TERM", "KILL"], *, record: str | None = None
) -> bool:
    """Cancel a waiting call or stop a running one; False if the call is not in a pool.

    `record` is the handle's id when `call_id` is a later attempt's message.
    """
    broker = get_broker()
    for _ in range(_REVOKE_ATTEMPTS):
        found = locate_pooled(call_id)
        if found is None:
            return False
        status, queue, body = found
        if status != "queued":
            master_tid = queue.rsplit(".", 2)[-2]
            request = {"revoke": str(call_id), "signal": signal_name}
            broker.write(control_queue(master_tid), json.dumps(request))
            return True
        if broker.delete_message_ids(queue, [call_id]) == 1:
            outcome = revoked(task_of(body), signal_name, owner=owner_of(body))
            write_outcome(record or str(call_id), outcome, expires=expires_of(body))
            return True
        # Claimed in the meantime (or handed back by a process): look again.
    return False


def request_shutdown(master_tid: str) -> None:
    """Ask a master to stop taking calls, finish the running ones and exit."""
    get_broker().write(control_queue(master_tid), json.dumps({"shutdown": True}))
