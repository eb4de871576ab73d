"""`weft-compat status ID` and `weft-compat revoke ID`: a call's handle from a shell.

What an operator reached for in Celery with `celery result ID`, `celery inspect query_task`
or `app.control.revoke(id, terminate=True)`: `status` prints the call's state (and its
result or error), `revoke` stops it (`--kill`: kills it). Both read the handle any
process can rebuild from an id (`WeftSubmission.from_tid`), so they work from any host
pointed at the broker. `--format json` prints `as_dict()`.

Exit status: 0 the call was found (and revoked), 1 no call has the id, 2 usage error
(including an id that is no id at all).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from weft_compat._config import CONTEXT_ENV_VAR
from weft_compat._submission import WeftSubmission
from weft_compat.exceptions import InvalidTaskId

__all__ = ["revoke_main", "status_main"]

EXIT_NOT_FOUND: Final = 1
EXIT_USAGE: Final = 2


def status_main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat status ID [--format text|json] [--context DIR]`."""
    parser = _parser("status", "Print a call's state, and its result or error.")
    args = parser.parse_args(argv)
    found = _submission(args)
    if isinstance(found, int):
        return found
    _print(found.as_dict(), args.format)
    return 0


def revoke_main(argv: Sequence[str] | None = None) -> int:
    """`weft-compat revoke ID [--kill] [--format text|json] [--context DIR]`."""
    parser = _parser("revoke", "Stop a call: a queued one never runs, a running one is stopped.")
    parser.add_argument("--kill", action="store_true", help="kill a running call at once (SIGKILL)")
    args = parser.parse_args(argv)
    found = _submission(args)
    if isinstance(found, int):
        return found
    if found.ready():
        print(f"weft-compat revoke: call {found.tid} had already ended", file=sys.stderr)
    elif args.kill:
        found.kill()
    else:
        found.stop()
    _print(found.as_dict(), args.format)
    return 0


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"weft-compat {command}", description=description)
    parser.add_argument("id", help="the call's id: its tid, or the id Celery gave it")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--context", help="the Weft context directory (default: settings)")
    return parser


def _submission(args: argparse.Namespace) -> WeftSubmission | int:
    if args.context:
        os.environ[CONTEXT_ENV_VAR] = args.context
    try:
        submission = WeftSubmission.from_tid(args.id)
    except InvalidTaskId as exc:
        print(f"weft-compat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not submission.exists():
        print(f"weft-compat: no call has the id {args.id!r} in this context", file=sys.stderr)
        return EXIT_NOT_FOUND
    return submission


def _print(body: dict[str, Any], form: str) -> None:
    if form == "json":
        print(json.dumps(body, indent=2, sort_keys=True))
        return
    print(f"{body['tid']} {body['name'] or '?'} {body['state']}")
    if body.get("owner") is not None:
        print(f"owner: {body['owner']}")
    if body.get("retries"):
        print(f"retries: {body['retries']}")
    if "info" in body:
        print(f"info: {json.dumps(body['info'])}")
    if "result" in body:
        print(f"result: {json.dumps(body['result'])}")
    for error in body.get("errors", ()):
        print(f"error: {error['exception_class_path']}: {error['message']}")
