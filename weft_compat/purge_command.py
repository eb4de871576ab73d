"""`weft-compat purge QUEUE`: remove the calls waiting in a queue, as `celery purge -Q` did.

It removes the pooled calls no pool process has claimed yet (and, with `--deferred`, the
queue's deferred calls: countdown, eta, retries), whatever Django settings their pools
load. Calls held by pool processes (running, or claimed ahead) are left alone, as
Celery's purge leaves reserved and running tasks; revoke those by id. Each call is
removed by its exact message id, so a call a worker claims at the same moment either
runs or is purged, never both; a purged call's record reads `REVOKED` (status
`purged`), so its handle does not stay `PENDING`.

What is removed is what was counted (and, on a terminal, confirmed): a call queued
after the count is left. Exit status: 0 done (or nothing to purge), 1 aborted at the
question, 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import TypeAdapter, ValidationError

from weft_compat._broker import DUE_QUEUE, POOL_KEY_SEPARATOR, get_broker, pending_queue
from weft_compat._config import CONTEXT_ENV_VAR, QueueName
from weft_compat._envelope import Envelope
from weft_compat._expiry import flush_ended
from weft_compat._outcome import Outcome, write_outcome
from weft_compat._states import REVOKED
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool._release import expires_of, owner_of, record_of, task_of

__all__ = ["Waiting", "main", "purge", "waiting_calls"]

EXIT_ABORTED: Final = 1
EXIT_USAGE: Final = 2
PURGED_STATUS: Final = "purged"
_PAGE: Final = 1000
_QUEUE_NAME: Final = TypeAdapter(QueueName)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A call waiting in `source` (a pending queue, or the due queue) as `message_id`."""

    source: str
    message_id: int
    body: str

    @property
    def record(self) -> str:
        """The id its handle goes by (a retry's first id, when it differs)."""
        return record_of(self.body, self.message_id)


def waiting_calls(queue: str, *, deferred: bool = False) -> list[Waiting]:
    """The calls waiting in `queue`'s pending queues (and, with `deferred`, its deferred
    calls), oldest first per queue."""
    broker = get_broker()
    own = pending_queue(queue)
    found = [
        call
        for source in sorted(broker.list_queues(prefix=own))
        # `reports.eu` shares the prefix of `reports`, but is a queue of its own.
        if source == own or source.startswith(f"{own}{POOL_KEY_SEPARATOR}")
        for call in _messages(source)
    ]
    if deferred:
        found += [call for call in _messages(DUE_QUEUE) if _deferred_in(call.body, queue)]
    return found


def purge(calls: Sequence[Waiting]) -> list[str]:
    """Remove `calls` and end each as `REVOKED`; returns the ids of those removed.

    A call no longer where it was counted (a worker or a mover took it, or it was
    revoked) is skipped: it runs, or has its outcome already.
    """
    broker = get_broker()
    purged: list[str] = []
    try:
        for call in calls:
            if broker.delete_message_ids(call.source, [call.message_id]) != 1:
                continue
            outcome = Outcome(
                REVOKED, status=PURGED_STATUS, task=task_of(call.body), owner=owner_of(call.body)
            )
            write_outcome(call.record, outcome, expires=expires_of(call.body), batched=True)
            purged.append(call.record)
    finally:
        flush_ended()  # The expiry index of the purged records, a batch at a time.
    return purged


def _messages(source: str) -> Iterator[Waiting]:
    # Page by id, so a long backlog is read whole without one huge read.
    after: int | None = None
    while page := get_broker().peek_many(
        source, _PAGE, with_timestamps=True, after_timestamp=after
    ):
        for body, message_id in page:
            yield Waiting(source, message_id, body)
        after = page[-1][1]


def _deferred_in(body: str, queue: str) -> bool:
    try:
        envelope = Envelope.from_json(body)
    except (WeftCompatError, ValueError, TypeError):
        return False  # Not a call: the mover drops it.
    return (envelope.queue or "default") == queue


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat purge QUEUE [--deferred] [--yes] [--format text|json] [--context DIR]`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat purge",
        description="Remove the calls waiting in a queue (not those a worker holds).",
    )
    parser.add_argument("queue", help="the queue to purge, as -Q names it")
    parser.add_argument(
        "--deferred",
        action="store_true",
        help="also remove the queue's deferred calls (countdown, eta, retries)",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="purge without asking")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    args = parser.parse_args(argv)
    try:
        _QUEUE_NAME.validate_python(args.queue)
    except ValidationError:
        print(
            f"weft-compat purge: {args.queue!r} is not a queue name; name one made of "
            "letters, digits, '_', '.' and '-' (not starting with '.' or '-'), such as "
            "'default'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not args.yes and not _interactive():
        print(
            "weft-compat purge: stdin is not a terminal, so it cannot ask before removing "
            "calls; pass --yes to purge without asking",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    calls = waiting_calls(args.queue, deferred=args.deferred)
    if calls and not args.yes and not _confirmed(args.queue, calls):
        print("weft-compat purge: aborted; nothing was removed", file=sys.stderr)
        return EXIT_ABORTED
    purged = purge(calls)
    if args.format == "json":
        print(json.dumps({"queue": args.queue, "purged": len(purged), "ids": purged}, indent=2))
        return 0
    print(f"purged {len(purged)} call(s) from queue {args.queue}")
    if len(purged) < len(calls):
        print(
            f"{len(calls) - len(purged)} call(s) were taken meanwhile (by a worker, a mover "
            "or a revoke) and left as they were"
        )
    return 0


def _interactive() -> bool:
    # Read at call time: tests (and embedding code) swap `sys.stdin`.
    return sys.stdin is not None and sys.stdin.isatty()


def _confirmed(queue: str, calls: Sequence[Waiting]) -> bool:
    # On stderr, so stdout keeps only the result (`--format json` stays parseable).
    for source, count in Counter(call.source for call in calls).items():
        print(f"{_label(queue, source)}: {count:,} call(s)", file=sys.stderr)
    print(
        f"Remove these {len(calls):,} call(s) from queue {queue}? Calls already held by "
        "workers are not touched. [y/N] ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    reply = sys.stdin.readline()
    if not reply.endswith("\n"):
        print(file=sys.stderr)  # End of input: end the question's line all the same.
    return reply.strip().lower() in {"y", "yes"}


def _label(queue: str, source: str) -> str:
    if source == DUE_QUEUE:
        return f"queue {queue}, deferred (countdown, eta, retries)"
    settings = source.removeprefix(f"{pending_queue(queue)}{POOL_KEY_SEPARATOR}")
    if settings != source:
        return f"queue {queue}, waiting (Django settings {settings})"
    return f"queue {queue}, waiting"
