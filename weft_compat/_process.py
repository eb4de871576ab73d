"""Starting weft_compat's own long-lived processes: pool masters and movers.

They are plain processes of this host, not Weft tasks: Weft's manager (one per broker)
would run them wherever it runs, and supervising them would keep it busy. A process
started on demand is detached (a session of its own, so it outlives its starter and
ignores the starter's terminal), logs to the context's log directory, and is reaped
by its starter (a daemon thread waits for it) if the starter still runs when it ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from weft_compat._backend import backend
from weft_compat._client import get_client
from weft_compat._config import settings_environment

__all__ = ["spawn_detached"]


def spawn_detached(module: str, payload: dict[str, Any], *, log_name: str) -> int:
    """Run `python -m module PAYLOAD-JSON` detached; returns its PID.

    The process imports what this one can (its `sys.path`), and writes its output to
    `<context>/.weft/logs/<log_name>.log`.
    """
    logs = Path(get_client().context.logs_dir)
    logs.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # The process reads no Django settings: it gets this one's through the environment
    # (the permissions it keeps `.weft/` at, how long what it starts may idle, ...).
    environment.update(settings_environment())
    broker = backend()
    if broker is not None:
        # Through the environment, not the command line: the password stays private.
        environment.update(broker.environment())
    with open(logs / f"{log_name}.log", "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", module, json.dumps(payload)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=environment,
            start_new_session=True,
            close_fds=True,
        )
    # Waited for when it ends, so it does not linger as a zombie of a long-lived starter
    # (a web process whose autostarted pool left an hour ago).
    threading.Thread(target=child.wait, name=f"weft_compat-reap-{child.pid}", daemon=True).start()
    return child.pid
