"""Result expiry: a call's record goes away `result_expires` seconds after the call ended.

Celery's result backends forget a result after `result_expires` (one day by default);
so do call records here, in both lanes, so the broker stays bounded however many calls
run. Whoever writes a call's outcome also notes the call in an expiry index, one broker
queue per expiry (`weft_compat.expiry.<seconds>`), a batch of calls per message (a pool
process writes one index message per batch of ended calls, costing next to nothing per
call). The index is in the order calls ended, so a sweep reads each queue from its
oldest message and stops at the first one not yet due, and deletes the records it names
in one broker operation.

Sweeps run about once a minute in whichever weft_compat worker gets to it first (pool
masters, movers, isolated calls as they end); a marker in the broker keeps the others
from repeating it. A record the index never heard of (a process lost between the outcome
and the index) is found by a slower full sweep once a day. A handle of an expired call
reads `UNKNOWN`, as Celery's reads PENDING once its result expired. The daily sweep also
drops workflows' plans (`canvas`) older than twice the longest expiry.

Calls kept for ever (`RESULT_EXPIRES=0`) are indexed too, in `weft_compat.expiry.never`,
which no sweep reads (a sweep skips any bucket whose suffix is not a number of seconds,
so a worker of an older release sharing the broker leaves it alone as well): the index is
then the list of every ended call, newest message last, which the operator's list of
recent calls pages through (`_recent`).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Final

from weft_compat._broker import PREFIX, call_record, get_broker, join_queue, workflow_prefix
from weft_compat._config import current_settings
from weft_compat._states import READY_STATES

__all__ = [
    "EXPIRY_PREFIX",
    "NEVER_BUCKET",
    "calls_in",
    "flush_ended",
    "index_queues",
    "maybe_sweep",
    "note_ended",
    "sweep",
]

EXPIRY_PREFIX: Final = f"{PREFIX}.expiry."
NEVER_BUCKET: Final = f"{EXPIRY_PREFIX}never"
SWEEP_MARKER: Final = f"{PREFIX}.sweep"
SWEEP_SECONDS: Final = 60.0
FULL_SWEEP_SECONDS: Final = 24 * 3600.0
_BATCH: Final = 32
_READ: Final = 200

_lock = threading.Lock()
_ended: dict[int, list[str]] = {}
_last_look = -SWEEP_SECONDS


def note_ended(call_id: str, seconds: float, *, batched: bool = False) -> None:
    """Note that `call_id` ended and expires `seconds` after now (0: never).

    `batched` holds the note until `flush_ended` (or a full batch), for pool processes.
    """
    key = max(1, round(seconds)) if seconds > 0 else 0  # 0: the bucket of calls kept for ever
    with _lock:
        _ended.setdefault(key, []).append(call_id)
        full = sum(len(calls) for calls in _ended.values()) >= _BATCH
    if full or not batched:
        flush_ended()


def flush_ended() -> None:
    """Write the held notes to the expiry index."""
    with _lock:
        held = dict(_ended)
        _ended.clear()
    broker = get_broker()
    for seconds, calls in held.items():
        bucket = f"{EXPIRY_PREFIX}{seconds}" if seconds else NEVER_BUCKET
        broker.write(bucket, json.dumps({"calls": calls}))


def index_queues() -> list[str]:
    """Every queue of the index: one per expiry in use, and the one of calls kept for ever."""
    return [
        bucket
        for bucket in get_broker().list_queues(prefix=EXPIRY_PREFIX)
        if bucket == NEVER_BUCKET or bucket.removeprefix(EXPIRY_PREFIX).isdigit()
    ]


def maybe_sweep() -> int:
    """Sweep unless someone did within the last minute; returns the records deleted."""
    global _last_look
    now = time.monotonic()
    if now - _last_look < SWEEP_SECONDS:
        return 0
    _last_look = now
    broker = get_broker()
    marks = broker.peek_many(SWEEP_MARKER, 10, with_timestamps=True)
    latest = max((message_id for _, message_id in marks), default=0)
    if time.time_ns() - latest < SWEEP_SECONDS * 10**9:
        return 0
    # The marker's id is when the last sweep ran; its body, when the last full one did.
    last_full = max((int(body) for body, _ in marks if body.isdigit()), default=0)
    full = time.time_ns() - last_full > FULL_SWEEP_SECONDS * 10**9
    broker.write(SWEEP_MARKER, str(time.time_ns() if full else last_full))
    broker.delete_message_ids(SWEEP_MARKER, [message_id for _, message_id in marks])
    return sweep(full=full)


def sweep(*, now_ns: int | None = None, full: bool = False) -> int:
    """Delete the records of calls past their expiry; returns how many were deleted.

    With `full`, also records the index does not know, ended longer ago than twice the
    longest expiry in use (the setting's, or a call's own).
    """
    now = time.time_ns() if now_ns is None else now_ns
    broker = get_broker()
    deleted = 0
    longest = round(current_settings().RESULT_EXPIRES)
    for bucket in broker.list_queues(prefix=EXPIRY_PREFIX):
        suffix = bucket.removeprefix(EXPIRY_PREFIX)
        if not suffix.isdigit():
            continue
        seconds = int(suffix)
        longest = max(longest, seconds)
        deleted += _sweep_bucket(bucket, now - seconds * 10**9)
    if full and longest:
        deleted += _sweep_unindexed(now - 2 * longest * 10**9)
    return deleted


def _sweep_bucket(bucket: str, cutoff: int) -> int:
    broker = get_broker()
    deleted = 0
    while True:
        entries = broker.peek_many(bucket, _READ, with_timestamps=True)
        due = [(body, message_id) for body, message_id in entries if message_id < cutoff]
        if not due:
            return deleted
        records = [call_record(call) for body, _ in due for call in calls_in(body)]
        if records:
            deleted += len(records)
            broker.delete_from_queues(records)
        broker.delete_message_ids(bucket, [message_id for _, message_id in due])
        if len(due) < len(entries) or len(entries) < _READ:
            return deleted


def _sweep_unindexed(cutoff: int) -> int:
    # Call ids are broker timestamps: a record whose id is older than the cutoff and
    # whose newest event is too holds a call that ended (or was lost) long ago.
    broker = get_broker()
    prefix = call_record("")
    stale = []
    for record in broker.list_queues(prefix=prefix):
        call_id = record.removeprefix(prefix)
        if not call_id.isdigit() or int(call_id) >= cutoff:
            continue
        events = broker.peek_many(record, 1000, with_timestamps=True)
        ended = any(_is_outcome(body) for body, _ in events)
        if ended and max(message_id for _, message_id in events) < cutoff:
            stale.append(record)
    if stale:
        broker.delete_from_queues(stale)
    return len(stale) + _sweep_workflows(cutoff)


def _sweep_workflows(cutoff: int) -> int:
    # A workflow's plan is kept while its steps may still read it: it goes, with what is
    # left of its joins, once its id is older than twice the longest expiry.
    broker = get_broker()
    stale = []
    for queue in broker.list_queues(prefix=workflow_prefix()):
        workflow_id = queue.removeprefix(workflow_prefix())
        if workflow_id.isdigit() and int(workflow_id) < cutoff:
            stale.append(queue)
            stale += broker.list_queues(prefix=join_queue(workflow_id, 0)[:-1])
    if stale:
        broker.delete_from_queues(stale)
    return len(stale)


def _is_outcome(body: str) -> bool:
    try:
        return json.loads(body).get("state") in READY_STATES
    except (ValueError, AttributeError):
        return False


def calls_in(body: str) -> list[str]:
    """The call ids an index message lists, in the order they ended."""
    try:
        calls = json.loads(body).get("calls")
    except (ValueError, AttributeError):
        return []
    return [str(call) for call in calls] if isinstance(calls, list) else []
