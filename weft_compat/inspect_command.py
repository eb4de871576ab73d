"""`weft-compat inspect`: per queue, what waits, runs and is deferred, and who serves it.

What an operator read from `celery inspect active` / `reserved` / `scheduled` and
`celery status`, from the broker, so it answers the same on every host: each queue's
waiting calls, the calls its pool processes hold (running, or claimed ahead), its
deferred calls (countdown, eta, retries), and its live pool masters with their hosts;
then the live movers. `--format json` prints the same as one object.

Counts stop at `LIMIT` per queue (shown as `LIMIT+`), so a large backlog is not read
whole.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from weft_compat._broker import (
    DUE_QUEUE,
    POOL_KEY_SEPARATOR,
    get_broker,
    pending_queue,
    running_prefix,
)
from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._envelope import Envelope
from weft_compat._outcome import read_events, settled
from weft_compat.due._registry import live_movers
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool import pool_queues
from weft_compat.pool._registry import live_masters
from weft_compat.pool._release import envelope_of, pool_of, record_of, task_of

__all__ = ["LIMIT", "inspect", "main"]

LIMIT: Final = 10_000


def _ended(body: str, record: str) -> bool:
    # A pool process deletes the messages of the calls it ended a batch at a time, or
    # once its work pauses: until then they are in its running queue, held no more.
    envelope = envelope_of(body)
    return envelope is not None and settled(read_events(record), envelope.attempt)


def inspect() -> dict[str, Any]:
    """The context's queues, each with its waiting, held and deferred calls and its
    pools; and its movers."""
    broker = get_broker()
    keys = {
        name.removeprefix(pending_queue(""))
        for name in broker.list_queues(prefix=pending_queue(""))
    }
    keys |= set(pool_queues())
    held: dict[str, list[dict[str, Any]]] = {}
    for running in broker.list_queues(prefix=running_prefix()):
        key = pool_of(running)
        keys.add(key)
        for body, message_id in broker.peek_many(running, LIMIT, with_timestamps=True):
            record = record_of(body, message_id)
            if _ended(body, record):
                continue
            held.setdefault(key, []).append({"id": record, "task": task_of(body), "queue": running})
    deferred = _deferred()
    queues: dict[str, dict[str, Any]] = {}
    for key in sorted(keys | set(deferred)):
        name = key.split(POOL_KEY_SEPARATOR)[0]
        waiting = len(broker.peek_many(pending_queue(key), LIMIT, with_timestamps=False))
        entry = queues.setdefault(name, {"waiting": 0, "held": [], "deferred": 0, "pools": []})
        entry["waiting"] += waiting
        entry["held"] += held.get(key, [])
        entry["deferred"] += deferred.get(key, 0)
        entry["pools"] += [
            {
                "tid": master.tid,
                "host": master.host.split(":")[0],
                "pid": master.pid,
                "concurrency": master.concurrency,
                "autostarted": master.autostarted,
            }
            for master in live_masters(key)
        ]
    movers = [
        {"tid": mover.tid, "host": mover.host.split(":")[0], "pid": mover.pid}
        for mover in live_movers()
    ]
    return {"queues": queues, "movers": movers, "limit": LIMIT}


def _deferred() -> Counter[str]:
    # Deferred calls per pool key (isolated ones under their queue's name).
    counts: Counter[str] = Counter()
    for body in get_broker().peek_many(DUE_QUEUE, LIMIT, with_timestamps=False):
        try:
            envelope = Envelope.from_json(body)
        except (WeftCompatError, ValueError, TypeError):
            continue
        queue = envelope.queue or "default"
        if envelope.settings_module and envelope.lane == "pooled":
            queue = f"{queue}{POOL_KEY_SEPARATOR}{envelope.settings_module}"
        counts[queue] += 1
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat inspect [--format text|json] [--context DIR]`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat inspect",
        description="Per queue: waiting, running and deferred calls, and the live workers.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    args = parser.parse_args(argv)
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    found = inspect()
    if args.format == "json":
        print(json.dumps(found, indent=2, sort_keys=True))
        return 0
    for name, queue in found["queues"].items():
        print(
            f"queue {name}: {_count(queue['waiting'])} waiting, {len(queue['held'])} held by "
            f"pool processes, {_count(queue['deferred'])} deferred"
        )
        for pool in queue["pools"]:
            kind = "started on demand" if pool["autostarted"] else "started on purpose"
            print(
                f"  pool {pool['tid']} on {pool['host']} (pid {pool['pid']}), "
                f"{pool['concurrency']} process(es), {kind}"
            )
        for call in queue["held"]:
            print(f"  holds {call['task'] or '?'}[{call['id']}]")
    if not found["queues"]:
        print("no queue has calls or pools")
    for mover in found["movers"]:
        print(f"mover {mover['tid']} on {mover['host']} (pid {mover['pid']})")
    return 0


def _count(value: int) -> str:
    return f"{value:,}+" if value >= LIMIT else f"{value:,}"
