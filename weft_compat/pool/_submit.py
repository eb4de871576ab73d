"""Submitting a call to the pooled lane: one message in the queue's pending queue.

The message id the broker assigns is the call's id: 19 digits, like a Weft tid, and
unique in the same broker, so `WeftSubmission.from_tid` resolves either kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from weft_compat._broker import get_broker, pending_queue, pool_bell, pool_key
from weft_compat._config import current_settings
from weft_compat._doorbell import ring
from weft_compat.pool._registry import ensure_pool

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["submit_pooled"]


def submit_pooled(prepared: PreparedCall) -> str:
    """Queue a prepared call for its queue's pool, starting the pool if none is live."""
    envelope = prepared.envelope
    key = pool_key(envelope.queue or current_settings().DEFAULT_QUEUE, envelope.settings_module)
    ensure_pool(
        key,
        prepared.queue.concurrency,
        prepared.queue.prefetch_multiplier,
        need=prepared.task.worker_config,
    )
    call_id = get_broker().write(pending_queue(key), envelope.to_json())
    ring(pool_bell(key))
    return str(call_id)
