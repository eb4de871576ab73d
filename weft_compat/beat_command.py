"""`weft-compat beat`: a dedicated scheduler, and `--list` to see what the schedule does.

`weft-compat beat` publishes the configured schedule (`weft_compat.beat`), makes sure a
mover runs to submit the ticks, and ticks the schedule in force until SIGTERM or
Ctrl-C; any number may run beside the movers and each other, since every tick is
claimed in the broker. `weft-compat worker` publishes the schedule too, and movers tick
it, so a dedicated beat is for deployments that want one.

`--list` prints each entry of the schedule in force: its schedule in words, its last
tick (call id, state, when) and its next one; `--format json` prints the same as one
object. The Django management command `weft_beat` runs the same code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import datetime, tzinfo
from types import FrameType
from typing import Any, Final

from weft_compat._config import CONTEXT_ENV_VAR, current_settings
from weft_compat._submission import WeftSubmission
from weft_compat._tasklog import LEVELS, LOGLEVEL_ENV_VAR, configure_worker_logging
from weft_compat._worker_config import deployment_config
from weft_compat.beat._publish import publish_schedule, validate_schedule
from weft_compat.beat._published import PublishedEntry, read_published
from weft_compat.beat._schedule import zone_of
from weft_compat.beat._ticker import Ticker, next_due
from weft_compat.beat._ticks import latest_claims
from weft_compat.due._registry import ensure_mover
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool.command import add_include_argument, import_modules

__all__ = ["add_arguments", "describe_schedule", "main", "run_beat"]

EXIT_USAGE: Final = 2
_MOVER_CHECK_SECONDS: Final = 5.0
_LONGEST_SLEEP: Final = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The beat options, shared by the console script and the management command."""
    parser.add_argument("--list", action="store_true", help="print the schedule and exit")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    add_include_argument(parser, "modules to import first: tasks, add_periodic_task calls")
    parser.add_argument(
        "--loglevel", "-l", type=str.upper, choices=LEVELS, help="log level (default: WARNING)"
    )


def run_beat(args: argparse.Namespace) -> int:
    """Carry out a parsed `beat` command; returns the exit code."""
    started = time.time()
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    if args.loglevel is not None:
        os.environ[LOGLEVEL_ENV_VAR] = args.loglevel
        configure_worker_logging(args.loglevel)
    if not import_modules(args.include):
        return EXIT_USAGE
    try:
        if args.list:
            _print(describe_schedule(), args.format)
            return 0
        schedule = publish_schedule(started)
    except WeftCompatError as exc:
        print(f"weft-compat beat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"weft-compat beat: {len(schedule.entries)} entries in force ({schedule.timezone})",
        file=sys.stderr,
    )
    return _serve()


def _serve() -> int:
    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ticker = Ticker()
    need = deployment_config()
    last_check = 0.0
    while not stopping:
        if time.monotonic() - last_check > _MOVER_CHECK_SECONDS:
            last_check = time.monotonic()
            ensure_mover(need=need)
        upcoming = ticker.step()
        wait = _LONGEST_SLEEP if upcoming is None else upcoming - time.time()
        if wait > 0:
            time.sleep(min(wait, _LONGEST_SLEEP))
    return 0


def describe_schedule() -> dict[str, Any]:
    """The schedule in force (else the configured one), each entry with its last and
    next tick."""
    published = read_published()
    if published is not None:
        entries, timezone, source = list(published.entries), published.timezone, "published"
    else:
        entries = [dataclasses.replace(entry, since=time.time()) for entry in validate_schedule()]
        timezone, source = current_settings().TIMEZONE, "configured, not published yet"
    zone = zone_of(timezone, "WEFT_COMPAT['TIMEZONE']")
    return {
        "timezone": timezone,
        "source": source,
        "entries": [_describe(entry, zone) for entry in entries],
    }


def _describe(entry: PublishedEntry, zone: tzinfo) -> dict[str, Any]:
    claims = latest_claims(entry.name)
    last = claims[0] if claims else None
    described: dict[str, Any] = {
        "name": entry.name,
        "task": entry.task,
        "schedule": entry.description,
        "missed": entry.missed,
        "last": None,
        "next": _moment(next_due(entry, last, zone), zone),
    }
    if last is not None:
        described["last"] = {
            "id": last.call_id,
            "state": WeftSubmission.from_tid(last.call_id, entry.task).state,
            "due": _moment(last.due, zone),
        }
    return described


def _moment(moment: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(moment, zone).isoformat(timespec="seconds")


def _print(schedule: dict[str, Any], output: str) -> None:
    if output == "json":
        print(json.dumps(schedule, indent=2))
        return
    print(f"schedule ({schedule['source']}), time zone {schedule['timezone']}:")
    if not schedule["entries"]:
        print("  no entries")
    for entry in schedule["entries"]:
        last = entry["last"]
        seen = f"{last['id']} {last['state']} due {last['due']}" if last else "none yet"
        print(f"  {entry['name']}: {entry['task']} {entry['schedule']}")
        print(f"    last tick: {seen}")
        print(f"    next tick: {entry['next']}")


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat beat ...`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat beat",
        description="Tick the periodic schedule (any number may run), or --list it.",
    )
    add_arguments(parser)
    return run_beat(parser.parse_args(argv))
