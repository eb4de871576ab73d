"""`weft-compat drain`: move the Celery task messages still in Redis or RabbitMQ into
weft_compat, at cut-over.

`weft-compat drain --broker URL [--queue NAME[=QUEUE] ...] [--follow] [--dry-run]
[--format json]` drains the named Celery queues (default `celery`) until they are empty,
or with `--follow` until SIGTERM or Ctrl-C, printing a progress line to stderr; the
report (counts per queue, each parked message with its reason) goes to stdout.
`--requeue-parked` instead puts the parked messages back in the queues they came from
(with `--dry-run`, lists them). `--include` imports the task modules first, as
`weft-compat worker` does; the Django management command `weft_drain` runs the same
code with the project's tasks loaded. Exit status: 0 done, 1 the drain failed midway
(nothing unrecorded was acknowledged), 2 usage error (nothing was read).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Final

from weft_compat._config import CONTEXT_ENV_VAR, without_password
from weft_compat.drain import (
    DEFAULT_BATCH,
    DEFAULT_PARKING_QUEUE,
    CeleryBroker,
    DrainOptions,
    DrainReport,
    Parked,
    drain,
    requeue_parked,
)
from weft_compat.drain._source import check_broker_url
from weft_compat.exceptions import BrokerUnavailable, WeftCompatError
from weft_compat.pool.command import add_include_argument, import_modules

__all__ = ["add_arguments", "main", "run_drain"]

EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The drain options, shared by the console script and the management command."""
    parser.add_argument(
        "--broker",
        default=os.environ.get("CELERY_BROKER_URL"),
        help="the Celery broker URL, redis://... or amqp://... (default: $CELERY_BROKER_URL)",
    )
    parser.add_argument(
        "--queue",
        "-Q",
        action="append",
        default=[],
        metavar="NAME[=QUEUE]",
        help="a Celery queue to drain, optionally into the weft_compat queue QUEUE "
        "(repeat; default: celery)",
    )
    parser.add_argument(
        "--follow", "-f", action="store_true", help="keep draining until SIGTERM or Ctrl-C"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would be done; consume nothing"
    )
    parser.add_argument(
        "--requeue-parked",
        action="store_true",
        help="put the parked messages back in their queues, and drain nothing",
    )
    parser.add_argument(
        "--parking-queue",
        default=DEFAULT_PARKING_QUEUE,
        help=f"where messages that cannot run are kept (default: {DEFAULT_PARKING_QUEUE})",
    )
    parser.add_argument("--limit", type=int, help="stop after this many messages")
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        help="messages recorded per transaction, at most; none is acknowledged before its "
        f"batch commits (default: {DEFAULT_BATCH})",
    )
    parser.add_argument(
        "--restore-unacked",
        action="store_true",
        help="Redis: first put back what lost consumers left unacknowledged (only once no "
        "Celery worker or other drain runs)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    add_include_argument(parser, "task modules to import first")


def run_drain(args: argparse.Namespace) -> int:
    """Carry out a parsed `drain` command; returns the exit code."""
    if not args.broker:
        print(
            "weft-compat drain: no broker given; pass --broker redis://... or amqp://... "
            "(or set CELERY_BROKER_URL)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    if not import_modules(args.include):
        return EXIT_USAGE
    try:
        if args.requeue_parked:
            return _requeue(args)
        return _drain(args)
    except BrokerUnavailable as exc:
        print(f"weft-compat drain: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except WeftCompatError as exc:
        print(f"weft-compat drain: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _drain(args: argparse.Namespace) -> int:
    options = DrainOptions(
        broker=args.broker,
        queues=tuple(args.queue),
        follow=args.follow,
        dry_run=args.dry_run,
        parking_queue=args.parking_queue,
        limit=args.limit,
        restore_unacked=args.restore_unacked,
        batch=args.batch,
        # In place on a terminal; in a log, a line every ten seconds is enough.
        progress_seconds=1.0 if sys.stderr.isatty() else 10.0,
    )
    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {number: signal.signal(number, _stop) for number in (signal.SIGTERM, signal.SIGINT)}
    progress = _Progress(enabled=args.follow or sys.stderr.isatty())
    try:
        report = drain(
            options,
            should_stop=lambda: stopping,
            on_progress=progress.show,
            on_parked=functools.partial(_print_parked, dry_run=args.dry_run)
            if args.format == "text"
            else None,
        )
    except WeftCompatError:
        raise
    except Exception as exc:
        progress.end()
        print(
            f"weft-compat drain: stopped by {type(exc).__name__}: {exc}; every message not "
            "yet recorded stays in the Celery broker, so run the drain again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    progress.end()
    print(report.render(args.format))
    return 0


def _requeue(args: argparse.Namespace) -> int:
    check_broker_url(args.broker)
    broker = CeleryBroker(args.broker)
    try:
        parked = requeue_parked(broker, args.parking_queue, dry_run=args.dry_run)
    finally:
        broker.close()
    if args.format == "json":
        body = {
            "parking_queue": args.parking_queue,
            "dry_run": args.dry_run,
            "requeued": [] if args.dry_run else [entry.as_dict() for entry in parked],
            "parked": [entry.as_dict() for entry in parked] if args.dry_run else [],
        }
        print(json.dumps(body, indent=2))
        return 0
    verb = "would put back" if args.dry_run else "put back"
    print(
        f"{verb} {len(parked)} parked messages from {args.parking_queue} on "
        f"{without_password(args.broker)}"
    )
    for entry in parked:
        print(f"  {entry.task_id or '?'} {entry.task or '?'} -> {entry.queue}: {entry.reason}")
    return 0


def _print_parked(parked: Parked, *, dry_run: bool) -> None:
    verb = "would park" if dry_run else "parked"
    print(
        f"weft-compat drain: {verb} {parked.task_id or '?'} {parked.task or '?'} "
        f"(from {parked.queue}): {parked.reason}",
        file=sys.stderr,
    )


class _Progress:
    """The progress line on stderr: rewritten in place on a terminal, else one per call."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def show(self, report: DrainReport) -> None:
        if not self.enabled:
            return
        line = report.progress_line()
        if sys.stderr.isatty():
            print(f"\r\x1b[K{line}", end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown and sys.stderr.isatty():
            print(file=sys.stderr)
        self.shown = False


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat drain ...`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat drain",
        description="Drain the Celery task messages in Redis or RabbitMQ into weft_compat.",
    )
    add_arguments(parser)
    return run_drain(parser.parse_args(argv))
