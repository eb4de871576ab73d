"""`weft-compat worker`: run a queue's pool explicitly, the way `celery worker` is run.

By default it stays in the foreground (for systemd, Docker or a process manager) as the
pool's master, and on SIGTERM or Ctrl-C shuts the pool down cleanly (running calls
finish within `--grace` seconds, waiting calls stay queued; a second signal stops at
once). Before serving it publishes the periodic schedule it is configured with
(`weft_compat.beat`), refusing to start on an invalid one.
`--detach` starts the pool and returns; `--stop` shuts a queue's pools down (`--all`:
everything in the context, as `weft-compat stop`); `--status` lists them. The
Django management command `weft_worker` runs the same code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence

from weft_compat._broker import pool_key
from weft_compat._config import CONTEXT_ENV_VAR, current_settings
from weft_compat._tasklog import LEVELS, LOGLEVEL_ENV_VAR, configure_worker_logging
from weft_compat.beat._publish import publish_schedule
from weft_compat.exceptions import WeftCompatError
from weft_compat.pool import pools, start_pool, stop_pool
from weft_compat.pool._registry import master_payload
from weft_compat.pool.master import serve
from weft_compat.shutdown import main as stop_main

__all__ = ["add_arguments", "add_include_argument", "import_modules", "run_worker"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The worker options, shared by the console script and the management command."""
    parser.add_argument("--queue", "-Q", help="the queue to serve (default: DEFAULT_QUEUE)")
    parser.add_argument(
        "--concurrency", "-c", type=int, help="pool processes (default: the QUEUES setting)"
    )
    parser.add_argument(
        "--prefetch-multiplier",
        type=int,
        help="calls each pool process may claim at once (default: the QUEUES setting, else 4)",
    )
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    add_include_argument(parser, "task modules the pool processes import, as Celery's -I")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--detach", action="store_true", help="start the pool and return")
    mode.add_argument("--stop", action="store_true", help="shut the queue's pools down")
    mode.add_argument("--status", action="store_true", help="list the queue's live pools")
    parser.add_argument(
        "--all",
        action="store_true",
        help="with --stop: everything in the context (every pool, the movers and the Weft "
        "manager), as `weft-compat stop`",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds to wait for running calls when stopping (default: 60)",
    )
    parser.add_argument(
        "--loglevel",
        "-l",
        type=str.upper,
        choices=LEVELS,
        help="log each call (received, succeeded, failed, retried) at INFO, as "
        "`celery worker -l`; default: warnings and errors only",
    )


def add_include_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """`--include` / `-I MODULE`: modules to import first (`import_modules` imports them)."""
    parser.add_argument(
        "--include",
        "-I",
        action="append",
        default=[],
        metavar="MODULE",
        help=f"{what} (repeat or comma-separate; added to the IMPORTS setting)",
    )


def run_worker(args: argparse.Namespace) -> int:
    """Carry out a parsed `worker` command; returns the exit code."""
    started = time.time()
    for flag, value in (
        ("--concurrency", args.concurrency),
        ("--prefetch-multiplier", args.prefetch_multiplier),
    ):
        if value is not None and value < 1:
            print(f"{flag} {value!r} must be 1 or more", file=sys.stderr)
            return 2
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    if getattr(args, "loglevel", None) is not None:
        # The pool processes (and a detached master) read it from the environment.
        os.environ[LOGLEVEL_ENV_VAR] = args.loglevel
        configure_worker_logging(args.loglevel)
    serving = not args.status and not args.stop
    if serving and not import_modules(args.include):
        return 2
    if serving and not _publish_schedule(started):
        return 2
    if args.status:
        for entry in pools(args.queue):
            print(
                f"{entry.tid} concurrency={entry.concurrency} "
                f"prefetch_multiplier={entry.prefetch_multiplier} autostarted={entry.autostarted} "
                f"host={entry.host.split(':')[0]} pid={entry.pid}"
            )
        return 0
    if args.stop and args.all:
        return stop_main(["--grace", str(args.grace)])
    if args.stop:
        stopped = stop_pool(args.queue, timeout=args.grace)
        print(f"stopped {len(stopped)} pool(s)", file=sys.stderr)
        return 0
    if args.detach:
        tid = start_pool(args.queue, args.concurrency, prefetch_multiplier=args.prefetch_multiplier)
        print(f"pool {tid} serves queue {args.queue or 'default'}", file=sys.stderr)
        print(tid)
        return 0
    return _serve_here(args)


def import_modules(values: Sequence[str]) -> bool:
    """Import the IMPORTS setting's modules and those `--include` names; False (with a
    message naming the module) if one cannot be imported."""
    # Imported here first, so a typo fails now and the pool loads what they register.
    sys.path.insert(0, os.getcwd())
    modules = [name.strip() for value in values for name in value.split(",") if name.strip()]
    sources = [("the IMPORTS setting", m) for m in current_settings().IMPORTS]
    sources += [("--include", m) for m in modules]
    for source, module in sources:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(
                f"{source} names {module!r}, which cannot be imported ({exc}); check its name",
                file=sys.stderr,
            )
            return False
    return True


def _publish_schedule(started: float) -> bool:
    # A worker publishes the periodic schedule it was configured with, as a beat does.
    try:
        schedule = publish_schedule(started)
    except WeftCompatError as exc:
        print(f"weft-compat worker: {exc}", file=sys.stderr)
        return False
    if schedule.entries:
        print(f"schedule: {len(schedule.entries)} periodic entries in force", file=sys.stderr)
    return True


def _serve_here(args: argparse.Namespace) -> int:
    # In the foreground this process is the pool's master, as `celery worker` is.
    name, config = current_settings().queue_config(args.queue)
    payload = master_payload(
        pool_key(name, os.environ.get("DJANGO_SETTINGS_MODULE")),
        args.concurrency or config.concurrency,
        autostarted=False,
        prefetch_multiplier=args.prefetch_multiplier or config.prefetch_multiplier,
    )
    payload["stop_grace"] = args.grace
    print(f"pool {payload['tid']} serves queue {name}", file=sys.stderr)
    code = serve(payload)
    print(f"pool {payload['tid']} stopped", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat worker ...`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat worker", description="Run the pooled lane's workers for a queue."
    )
    add_arguments(parser)
    return run_worker(parser.parse_args(argv))
