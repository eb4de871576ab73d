"""The `weft-compat` console script: one entry point, a subcommand per job.

`worker`, `beat`, `stop`, `status`, `revoke`, `inspect`, `purge` and `drain` need only
the runtime; `migrate` and `explain` are the codemod's, which needs LibCST
(`weft-compat[codemod]`).
Each is imported only when asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Final

__all__ = ["COMMANDS", "main"]

EXIT_USAGE: Final = 2


def _migrate(arguments: list[str]) -> int:
    try:
        from weft_compat.codemod.cli import main as codemod
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "libcst":
            raise
        print(
            f"weft-compat {arguments[0]} needs LibCST ({exc}); install it with "
            "pip install 'weft-compat[codemod]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return codemod(arguments)


def _worker(arguments: list[str]) -> int:
    from weft_compat.pool.command import main as worker

    return worker(arguments[1:])


def _beat(arguments: list[str]) -> int:
    from weft_compat.beat_command import main as beat

    return beat(arguments[1:])


def _stop(arguments: list[str]) -> int:
    from weft_compat.shutdown import main as stop

    return stop(arguments[1:])


def _status(arguments: list[str]) -> int:
    from weft_compat.handles_command import status_main

    return status_main(arguments[1:])


def _revoke(arguments: list[str]) -> int:
    from weft_compat.handles_command import revoke_main

    return revoke_main(arguments[1:])


def _inspect(arguments: list[str]) -> int:
    from weft_compat.inspect_command import main as inspect

    return inspect(arguments[1:])


def _drain(arguments: list[str]) -> int:
    from weft_compat.drain_command import main as drain

    return drain(arguments[1:])


def _purge(arguments: list[str]) -> int:
    from weft_compat.purge_command import main as purge

    return purge(arguments[1:])


# Subcommand → (what it does, how it runs; it receives the whole argument list).
COMMANDS: Final[dict[str, tuple[str, Callable[[list[str]], int]]]] = {
    "migrate": ("rewrite Celery call sites and list what needs a human", _migrate),
    "explain": ("print a codemod rule's guide section: weft-compat explain WC101", _migrate),
    "worker": ("run a queue's pool of workers, as `celery worker` does", _worker),
    "beat": ("tick the periodic schedule (any number may run); --list prints it", _beat),
    "stop": ("stop every pool, mover and the Weft manager of a context", _stop),
    "status": ("print a call's state, and its result or error: weft-compat status ID", _status),
    "revoke": ("stop a call (--kill: kill it): weft-compat revoke ID", _revoke),
    "inspect": ("per queue: waiting, running and deferred calls, and live workers", _inspect),
    "purge": ("remove the calls waiting in a queue: weft-compat purge QUEUE", _purge),
    "drain": ("move Celery's queued messages (Redis, RabbitMQ) into weft_compat", _drain),
}


def usage() -> str:
    """The top-level help: every subcommand, one line each."""
    width = max(len(name) for name in COMMANDS)
    lines = [
        "usage: weft-compat COMMAND [ARGS...]",
        "",
        "Move a Celery codebase onto Weft, and run it there.",
        "",
        "commands:",
        *(f"  {name.ljust(width)}  {summary}" for name, (summary, _) in COMMANDS.items()),
        "",
        "`weft-compat COMMAND --help` describes a command's options.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `weft-compat`; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in {"-h", "--help", "help"}:
        print(usage(), file=sys.stdout if arguments else sys.stderr)
        return 0 if arguments else EXIT_USAGE
    command = COMMANDS.get(arguments[0])
    if command is None:
        print(
            f"weft-compat: unknown command {arguments[0]!r}; use one of "
            f"{', '.join(COMMANDS)} (weft-compat --help lists them)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return command[1](arguments)
