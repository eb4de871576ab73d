"""Stopping everything weft_compat runs in a context: `weft-compat stop`.

Pools finish their running calls (waiting calls stay queued), movers leave their
deferred calls in the broker, and then the Weft manager of the context stops, so after
`weft-compat stop` no process of the context is left. Started again, everything picks
up where it was: nothing queued or deferred is lost.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from weft.client import ManagerNotRunning

from weft_compat._client import get_client
from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._lease import live_ids
from weft_compat._manager import REAPER_REGISTRY
from weft_compat.due import stop_movers
from weft_compat.pool import stop_all_pools

__all__ = ["Stopped", "main", "stop_context"]


@dataclass(frozen=True, slots=True)
class Stopped:
    """What `stop_context` stopped: pool masters, movers and Weft managers, by tid."""

    pools: list[str]
    movers: list[str]
    managers: list[str]


def stop_context(*, grace: float | None = 60.0) -> Stopped:
    """Stop every pool, mover and Weft manager of the configured context.

    Waits up to `grace` seconds for running calls; raises `TimeoutError` naming what
    did not stop in time.
    """
    pools = stop_all_pools(timeout=grace)
    movers = stop_movers(timeout=grace)
    client = get_client()
    managers = [manager.tid for manager in client.managers.list()]
    for tid in managers:
        with contextlib.suppress(ManagerNotRunning):  # It stopped meanwhile.
            client.managers.stop(tid)
    # A reaper (`_manager`) leaves once the managers it watched are gone.
    deadline = None if grace is None else time.monotonic() + grace
    while live_ids([REAPER_REGISTRY]):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"the manager reapers did not leave within {grace!r}s")
        time.sleep(0.2)
    return Stopped(pools, movers, managers)


def main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat stop [--context DIR] [--grace SECONDS]`."""
    parser = argparse.ArgumentParser(
        prog="weft-compat stop",
        description="Stop every pool, mover and the Weft manager of a context; nothing "
        "queued or deferred is lost.",
    )
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    parser.add_argument(
        "--grace",
        type=float,
        default=60.0,
        help="seconds to wait for running calls (default: 60)",
    )
    args = parser.parse_args(argv)
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    try:
        stopped = stop_context(grace=args.grace)
    except TimeoutError as exc:
        print(f"weft-compat stop: {exc}", file=sys.stderr)
        return 1
    print(
        f"stopped {len(stopped.pools)} pool(s), {len(stopped.movers)} mover(s) and "
        f"{len(stopped.managers)} Weft manager(s)",
        file=sys.stderr,
    )
    return 0
