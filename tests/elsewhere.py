"""Reading a handle the way a view does: in another process, from nothing but the id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# An exception in `info` (after a failure, between retries) is shown as its class and args.
_SCRIPT = (
    "import json, sys\n"
    "from weft_compat import WeftSubmission\n"
    "handle = WeftSubmission.from_tid(sys.argv[1])\n"
    "shown = lambda value: {'exception': type(value).__qualname__, 'args': list(value.args)}\n"
    "print(json.dumps({'state': handle.state, 'info': handle.info, "
    "'as_dict': handle.as_dict()}, default=shown))\n"
)


def read_elsewhere(tid: str, context: Path) -> dict[str, Any]:
    """`state`, `info` and `as_dict()` of `tid`, read by a fresh Python process."""
    environment = {**os.environ, "WEFT_COMPAT_CONTEXT": str(context)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, tid],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=60,
    )
    seen: dict[str, Any] = json.loads(completed.stdout)
    return seen
